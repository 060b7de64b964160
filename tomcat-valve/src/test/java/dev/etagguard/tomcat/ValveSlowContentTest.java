package dev.etagguard.tomcat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.etagguard.GuardEngine;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.SlowContentScenarios;

import org.apache.catalina.Context;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Option {@code minContentRate} on the valve, over real sockets: the handler's read fails, Tomcat
 * puts the response into its error state, and the guard answers 408 in place of its error page
 * ({@link SlowContentScenarios}).
 */
class ValveSlowContentTest {

  private ValveServer server;
  private Context root;
  private ETagGuardValve valve;
  private ResourceServlet servlet;

  private void start() throws Exception {
    servlet = new ResourceServlet();
    valve = new ETagGuardValve(SlowContentScenarios.settings());
    server = ValveServer.start(valve, tomcat -> {
      root = ValveServer.root(tomcat);
      ValveServer.addServlet(root, "app", servlet, "/*");
    });
  }

  @AfterEach
  void stop() throws Exception {
    try {
      GuardEngine engine = valve == null ? null : valve.engine(root);
      if (engine != null) {
        assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).as("permits held after the test")
            .isZero();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @Test
  void expectContinueContentSentSlowlyEndsTheWriteAtTheRate() throws Exception {
    start();
    SlowContentScenarios.expectContinue(server, valve.engine(root).sequencer(), servlet.store::get);
  }
}
