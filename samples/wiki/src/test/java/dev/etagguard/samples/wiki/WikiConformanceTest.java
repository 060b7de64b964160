package dev.etagguard.samples.wiki;

import java.net.URI;

import dev.etagguard.conformance.HttpConformanceSuite;
import dev.etagguard.samples.launcher.WebappServer;
import dev.etagguard.samples.wiki.launcher.WikiServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * The shared conformance rows (fixtures RS and RN) over HTTP against the wiki, the filter
 * configured by the wiki's own web.xml (or, for the tomcat-valve adapter, the valve in its place):
 * policy rows on {@code /articles/}, the rest on the unguarded {@code /drafts/}.
 */
class WikiConformanceTest {

  abstract static class OnAdapter extends HttpConformanceSuite {
    private final String adapter;
    private WebappServer server;

    OnAdapter(String adapter) {
      this.adapter = adapter;
    }

    @BeforeAll
    void start() throws Exception {
      server = WikiServer.start(adapter, 0);
    }

    @AfterAll
    void stop() {
      server.close();
    }

    @Override
    protected URI base() {
      return URI.create("http://127.0.0.1:" + server.port());
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

  @Nested
  class Tomcat extends OnAdapter {
    Tomcat() {
      super(WebappServer.TOMCAT);
    }
  }

  @Nested
  class Jetty extends OnAdapter {
    Jetty() {
      super(WebappServer.JETTY);
    }
  }

  @Nested
  class TomcatValve extends OnAdapter {
    TomcatValve() {
      super(WebappServer.TOMCAT_VALVE);
    }
  }

  @Nested
  class JettyHandler extends OnAdapter {
    JettyHandler() {
      super(WebappServer.JETTY_HANDLER);
    }
  }
}
