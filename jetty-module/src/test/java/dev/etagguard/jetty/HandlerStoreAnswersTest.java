package dev.etagguard.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.etagguard.GuardEngine;
import dev.etagguard.testing.ArticlesServlet;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.StoreAnswersDrill;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The options authoritativePaths and invalidationRules, set through the handler's setters, with
 * a servlet context behind the Jetty core handler, over real sockets ({@link StoreAnswersDrill}).
 */
class HandlerStoreAnswersTest {

  private JettyServer server;
  private GuardEngine engine;

  private StoreAnswersDrill start(boolean readPermits) throws Exception {
    ArticlesServlet servlet = new ArticlesServlet();
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(servlet), "/*");
    ETagGuardHandler guard = new ETagGuardHandler();
    guard.setAuthoritativePaths("/articles/*");
    guard.setInvalidationRules("/articles/{id} -> /articles");
    guard.setReadPermits(Boolean.toString(readPermits));
    guard.setPermitTimeout("30s");
    guard.setHandler(context);
    server = new JettyServer(guard);
    engine = guard.getEngine();
    assertThat(engine).isNotNull();
    assertThat(engine.settings().invalidationRules()).hasToString("[/articles/{id} -> /articles]");
    return new StoreAnswersDrill(server.base(), servlet, engine);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (engine != null) {
        assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).as("permits held after the test").isZero();
        assertThat(engine.sequencer().activeKeys()).as("sequencer keys left").isZero();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @ParameterizedTest(name = "[{index}] readPermits={0}")
  @ValueSource(booleans = {false, true})
  void conditionalReadsAreAnsweredFromTheStoreAndWritesKeepItRight(boolean readPermits) throws Exception {
    StoreAnswersDrill drill = start(readPermits);
    drill.run();
    if (!readPermits) {
      drill.aWriteInProgressSendsReadsToTheHandler("20");
    }
  }
}
