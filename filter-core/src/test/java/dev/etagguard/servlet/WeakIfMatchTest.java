package dev.etagguard.servlet;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.WeakIfMatchScenario;
import dev.etagguard.testing.WeakTagServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Option weakIfMatchPaths through the filter, on Tomcat and Jetty, over real sockets. */
class WeakIfMatchTest {

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void weakIfMatchOnTheConfiguredPathsOnly(EmbeddedServer.Kind kind) throws Exception {
    ETagGuardFilter filter = new ETagGuardFilter(GuardSettings.fromOptions(
        java.util.Map.of("weakIfMatchPaths", WeakIfMatchScenario.WEAK_PATHS, "guardedPaths", "/*")));
    try (EmbeddedServer server = kind.start(new WeakTagServlet(), filter)) {
      WeakIfMatchScenario.run(server.base());
    }
  }
}
