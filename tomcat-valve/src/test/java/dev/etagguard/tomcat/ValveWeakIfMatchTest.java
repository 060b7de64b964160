package dev.etagguard.tomcat;

import dev.etagguard.testing.WeakIfMatchScenario;
import dev.etagguard.testing.WeakTagServlet;

import org.junit.jupiter.api.Test;

/** Option weakIfMatchPaths set as a Valve attribute, over real sockets. */
class ValveWeakIfMatchTest {

  @Test
  void weakIfMatchOnTheConfiguredPathsOnly() throws Exception {
    ETagGuardValve valve = new ETagGuardValve();
    valve.setProperty("weakIfMatchPaths", WeakIfMatchScenario.WEAK_PATHS);
    valve.setProperty("guardedPaths", "/*");
    try (ValveServer server = ValveServer.start(valve, new WeakTagServlet())) {
      WeakIfMatchScenario.run(server.base());
    }
  }
}
