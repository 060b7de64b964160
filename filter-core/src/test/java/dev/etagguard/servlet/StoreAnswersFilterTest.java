package dev.etagguard.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.etagguard.GuardEngine;
import dev.etagguard.GuardSettings;
import dev.etagguard.testing.ArticlesServlet;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.StoreAnswersDrill;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The options authoritativePaths and invalidationRules through the filter, on real Tomcat and
 * Jetty servers over real sockets ({@link StoreAnswersDrill}).
 */
class StoreAnswersFilterTest {

  private EmbeddedServer server;
  private GuardEngine engine;

  private StoreAnswersDrill start(EmbeddedServer.Kind kind, GuardSettings settings) throws Exception {
    ArticlesServlet servlet = new ArticlesServlet();
    engine = GuardEngine.create(settings);
    server = kind.start(servlet, new ETagGuardFilter(engine));
    return new StoreAnswersDrill(server.base(), servlet, engine);
  }

  @AfterEach
  void stop() throws Exception {
    if (engine != null) {
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).as("permits held after the test").isZero();
      assertThat(engine.sequencer().activeKeys()).as("sequencer keys left").isZero();
    }
    if (server != null) {
      server.close();
    }
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void conditionalReadsAreAnsweredFromTheStoreAndWritesKeepItRight(EmbeddedServer.Kind kind) throws Exception {
    StoreAnswersDrill drill = start(kind, StoreAnswersDrill.SETTINGS);
    drill.run();
    drill.aWriteInProgressSendsReadsToTheHandler("20");
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void withReadPermitsTooTheStoreAnswers(EmbeddedServer.Kind kind) throws Exception {
    start(kind, StoreAnswersDrill.settings(true)).run();
  }
}
