package dev.etagguard.servlet;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.AdapterConformanceSuite;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.ServerUnderTest;

import org.junit.jupiter.api.Nested;

/** The shared conformance rows over HTTP, the filter in front of a plain servlet, on both servers. */
class FilterConformanceTest {

  abstract static class OnServer extends AdapterConformanceSuite {
    private final EmbeddedServer.Kind kind;

    OnServer(EmbeddedServer.Kind kind) {
      this.kind = kind;
    }

    @Override
    protected ServerUnderTest start(GuardSettings settings) throws Exception {
      return kind.start(new ResourceServlet(), new ETagGuardFilter(settings));
    }
  }

  @Nested
  class Tomcat extends OnServer {
    Tomcat() {
      super(EmbeddedServer.Kind.TOMCAT);
    }
  }

  @Nested
  class Jetty extends OnServer {
    Jetty() {
      super(EmbeddedServer.Kind.JETTY);
    }
  }
}
