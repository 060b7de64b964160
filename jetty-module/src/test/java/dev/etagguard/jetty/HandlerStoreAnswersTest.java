package dev.etagguard.jetty;

import dev.etagguard.testing.ArticlesServlet;
import dev.etagguard.testing.StoreAnswersScenarios;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;

/**
 * {@link StoreAnswersScenarios} on the Jetty core handler, configured through its setOption, with a
 * servlet context behind it.
 */
class HandlerStoreAnswersTest extends StoreAnswersScenarios {

  @Override
  protected Guarded start(ArticlesServlet servlet, boolean readPermits) throws Exception {
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(servlet), "/*");
    ETagGuardHandler guard = new ETagGuardHandler();
    guard.setOption("authoritativePaths", "/articles/*");
    guard.setOption("invalidationRules", "/articles/{id} -> /articles");
    guard.setOption("readPermits", Boolean.toString(readPermits));
    guard.setOption("permitTimeout", "30s");
    guard.setHandler(context);
    JettyServer server = new JettyServer(guard);
    return new Guarded(server.base(), guard.getEngine(), server);
  }
}
