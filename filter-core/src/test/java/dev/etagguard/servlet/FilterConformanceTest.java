package dev.etagguard.servlet;

import java.net.URI;

import dev.etagguard.GuardSettings;
import dev.etagguard.conformance.HttpConformanceSuite;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/** The shared conformance rows over HTTP, the filter in front of a plain servlet, on both servers. */
class FilterConformanceTest {

  abstract static class OnServer extends HttpConformanceSuite {
    private EmbeddedServer server;

    abstract EmbeddedServer.Kind kind();

    @BeforeAll
    void start() throws Exception {
      server = kind().start(new ResourceServlet(),
          new ETagGuardFilter(GuardSettings.builder().guardedPaths("/guarded/*").build()));
    }

    @AfterAll
    void stop() {
      server.close();
    }

    @Override
    protected URI base() {
      return server.base();
    }

    @Override
    protected String guardedPrefix() {
      return "/guarded/";
    }

    @Override
    protected String unguardedPrefix() {
      return "/open/";
    }
  }

  @Nested
  class Tomcat extends OnServer {
    @Override
    EmbeddedServer.Kind kind() {
      return EmbeddedServer.Kind.TOMCAT;
    }
  }

  @Nested
  class Jetty extends OnServer {
    @Override
    EmbeddedServer.Kind kind() {
      return EmbeddedServer.Kind.JETTY;
    }
  }
}
