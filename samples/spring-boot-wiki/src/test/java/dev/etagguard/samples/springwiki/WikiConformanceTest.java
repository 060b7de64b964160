package dev.etagguard.samples.springwiki;

import java.net.URI;

import dev.etagguard.conformance.HttpConformanceSuite;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The shared conformance rows (fixtures RS and RN) over HTTP against the Spring Boot wiki on
 * Tomcat, configured by its own application.yml: policy rows on {@code /articles/}, the rest on the
 * unguarded {@code /drafts/}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class WikiConformanceTest extends HttpConformanceSuite {

  @LocalServerPort
  int port;

  @Override
  protected URI base() {
    return URI.create("http://127.0.0.1:" + port);
  }

  @Override
  protected String guardedPrefix() {
    return "/articles/";
  }

  @Override
  protected String unguardedPrefix() {
    return "/drafts/";
  }
}
