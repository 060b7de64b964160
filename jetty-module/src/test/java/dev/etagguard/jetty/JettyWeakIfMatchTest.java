package dev.etagguard.jetty;

import dev.etagguard.testing.WeakIfMatchScenario;
import dev.etagguard.testing.WeakTagServlet;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.junit.jupiter.api.Test;

/** Option weakIfMatchPaths set on the handler (as etc/etag-guard.xml does), over real sockets. */
class JettyWeakIfMatchTest {

  @Test
  void weakIfMatchOnTheConfiguredPathsOnly() throws Exception {
    ETagGuardHandler guard = new ETagGuardHandler();
    guard.setOption("weakIfMatchPaths", WeakIfMatchScenario.WEAK_PATHS);
    guard.setOption("guardedPaths", "/*");
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(new WeakTagServlet()), "/*");
    guard.setHandler(context);
    try (JettyServer server = new JettyServer(guard)) {
      WeakIfMatchScenario.run(server.base());
    }
  }
}
