package dev.etagguard.servlet;

import dev.etagguard.GuardEngine;
import dev.etagguard.testing.ArticlesServlet;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.StoreAnswersDrill;
import dev.etagguard.testing.StoreAnswersScenarios;

import org.junit.jupiter.api.Nested;

/**
 * {@link StoreAnswersScenarios} through the filter, given an engine built from
 * {@link StoreAnswersDrill#settings(boolean)}, on real Tomcat and Jetty servers.
 */
class StoreAnswersFilterTest {

  abstract static class OnServer extends StoreAnswersScenarios {
    private final EmbeddedServer.Kind kind;

    OnServer(EmbeddedServer.Kind kind) {
      this.kind = kind;
    }

    @Override
    protected Guarded start(ArticlesServlet servlet, boolean readPermits) throws Exception {
      GuardEngine engine = GuardEngine.create(StoreAnswersDrill.settings(readPermits));
      EmbeddedServer server = kind.start(servlet, new ETagGuardFilter(engine));
      return new Guarded(server.base(), engine, () -> {
        server.close();
        engine.close();
      });
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
