package dev.etagguard.tomcat;

import static dev.etagguard.testing.Http.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.testing.ArticlesServlet;
import dev.etagguard.testing.StoreAnswersScenarios;

import org.apache.catalina.Context;

/**
 * {@link StoreAnswersScenarios} on the valve, configured by its attributes, in a Tomcat Host.
 */
class ValveStoreAnswersTest extends StoreAnswersScenarios {

  @Override
  protected Guarded start(ArticlesServlet servlet, boolean readPermits) throws Exception {
    ETagGuardValve valve = new ETagGuardValve();
    valve.setProperty("authoritativePaths", "/articles/*");
    valve.setProperty("invalidationRules", "/articles/{id} -> /articles");
    valve.setProperty("readPermits", Boolean.toString(readPermits));
    valve.setProperty("permitTimeout", "30s");
    Context[] root = new Context[1];
    ValveServer server = ValveServer.start(valve, tomcat -> {
      root[0] = ValveServer.root(tomcat);
      ValveServer.addServlet(root[0], "app", servlet, "/*");
    });
    try {
      // Unlike the handler and the filter, the valve builds a webapp's engine at its first request.
      assertThat(get(server.uri("/articles/none")).statusCode()).isEqualTo(404);
      return new Guarded(server.base(), valve.engine(root[0]), server);
    } catch (Exception | Error e) {
      server.close();
      throw e;
    }
  }
}
