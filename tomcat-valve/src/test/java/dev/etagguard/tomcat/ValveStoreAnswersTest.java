package dev.etagguard.tomcat;

import static dev.etagguard.testing.Http.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.etagguard.GuardEngine;
import dev.etagguard.testing.ArticlesServlet;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.StoreAnswersDrill;

import org.apache.catalina.Context;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The options authoritativePaths and invalidationRules, set as valve attributes, in a Tomcat Host
 * over real sockets ({@link StoreAnswersDrill}).
 */
class ValveStoreAnswersTest {

  private ValveServer server;
  private GuardEngine engine;

  private StoreAnswersDrill start(boolean readPermits) throws Exception {
    ArticlesServlet servlet = new ArticlesServlet();
    ETagGuardValve valve = new ETagGuardValve();
    valve.setAuthoritativePaths("/articles/*");
    valve.setInvalidationRules("/articles/{id} -> /articles");
    valve.setReadPermits(Boolean.toString(readPermits));
    valve.setPermitTimeout("30s");
    Context[] root = new Context[1];
    server = ValveServer.start(valve, tomcat -> {
      root[0] = ValveServer.root(tomcat);
      ValveServer.addServlet(root[0], "app", servlet, "/*");
    });
    // The valve builds a webapp's engine at its first request.
    assertThat(get(server.uri("/articles/none")).statusCode()).isEqualTo(404);
    engine = valve.engine(root[0]);
    assertThat(engine).isNotNull();
    assertThat(engine.settings().authoritativePaths()).hasToString("[/articles/*]");
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
