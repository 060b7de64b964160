package dev.etagguard.samples.springwiki;

import org.junit.jupiter.api.Tag;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The wiki on Jetty: Boot's Jetty starter, run by the surefire execution {@code jetty}, whose class
 * path has no Tomcat.
 */
@Tag("jetty")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class JettyWikiTest extends WikiScenarios {

  @Override
  String server() {
    return "Jetty";
  }
}
