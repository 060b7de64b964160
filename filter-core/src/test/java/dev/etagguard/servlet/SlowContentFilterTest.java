package dev.etagguard.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.etagguard.GuardEngine;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.SlowContentScenarios;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Option {@code minContentRate} on the filter, over real sockets: content read under the permit
 * from a client sending one byte a second ends the write at the rate, with 408 ({@link SlowContentScenarios}).
 */
class SlowContentFilterTest {

  private EmbeddedServer server;
  private GuardEngine engine;
  private ResourceServlet servlet;

  private void start(EmbeddedServer.Kind kind) throws Exception {
    servlet = new ResourceServlet();
    engine = GuardEngine.create(SlowContentScenarios.settings());
    server = kind.start(servlet, new ETagGuardFilter(engine));
  }

  @AfterEach
  void stop() throws Exception {
    if (engine != null) {
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).as("permits held after the test")
          .isZero();
    }
    if (server != null) {
      server.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void expectContinueContentSentSlowlyEndsTheWriteAtTheRate(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    SlowContentScenarios.expectContinue(server, engine.sequencer(), servlet.store::get);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void contentBeyondTheReceivedPartSentSlowlyEndsTheWriteAtTheRate(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    SlowContentScenarios.beyondTheReceivedPart(server, engine.sequencer(), SpooledContent.LIMIT, servlet.store::get);
  }
}
