package dev.etagguard.cluster.postgres;

import java.util.LinkedHashMap;
import java.util.Map;

import javax.naming.InitialContext;

import dev.etagguard.cluster.servers.PostgresServer;
import dev.etagguard.testing.SharedStoreRoutes;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ContextResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code sharedStore=postgres} configured by options on every route, against one real PostgreSQL,
 * its DataSource found through JNDI: on Tomcat a {@code <Resource>} of the webapp
 * ({@code java:comp/env/jdbc/etagguard}, Tomcat's naming enabled as in its distribution), on Jetty
 * a name in the JVM's initial context ({@code jdbc/etagguard}, as a JVM-scoped
 * {@code org.eclipse.jetty.plus.jndi.Resource} binds it; in this JVM the naming is Tomcat's, which
 * the embedded Tomcats enable, so the test binds the name there before each Jetty starts).
 */
class PostgresRoutesTest extends SharedStoreRoutes {

  private static final String GLOBAL_NAME = "jdbc/etagguard";

  private static PostgresServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
    new Tomcat().enableNaming(); // the JVM's initial context factory, as a first Tomcat sets it
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /**
   * Binds {@code jdbc/etagguard} in the initial context the Jetty instance about to start sees
   * (Tomcat's naming gives a thread the one of the naming its class loader is bound to, which the
   * Tomcats running in this JVM change).
   */
  @Override
  protected void prepare(Route route) throws Exception {
    InitialContext naming = new InitialContext();
    try {
      naming.createSubcontext("jdbc");
    } catch (javax.naming.NameAlreadyBoundException e) {
      // bound for an earlier instance
    }
    naming.rebind(GLOBAL_NAME, dataSource());
  }

  /** A DataSource without a pool: a connection per statement, and one that fails at once while the server is away. */
  private static PGSimpleDataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(server.jdbcUrl());
    ds.setUser("postgres");
    ds.setConnectTimeout(2);
    return ds;
  }

  @Override
  protected void prepare(Tomcat tomcat, Context context) {
    tomcat.enableNaming();
    context.getNamingResources().addResource(resource());
  }

  /** {@code jdbc/etagguard}: a PGSimpleDataSource made by Tomcat's BeanFactory, as context.xml would declare it. */
  private static ContextResource resource() {
    ContextResource resource = new ContextResource();
    resource.setName(GLOBAL_NAME);
    resource.setType(PGSimpleDataSource.class.getName());
    resource.setProperty("factory", "org.apache.naming.factory.BeanFactory");
    resource.setProperty("url", server.jdbcUrl());
    resource.setProperty("user", "postgres");
    resource.setProperty("connectTimeout", "2");
    return resource;
  }

  /**
   * The web.xml filter on Tomcat, not the valve: Tomcat's naming is JVM-wide, and two Tomcats with
   * naming enabled in one JVM clash (one's naming contexts are read-only to the other, and its
   * global context invalid at stop). {@link PostgresValveRoutesTest} runs the valve.
   */
  @Override
  protected java.util.Set<Route> routes() {
    return java.util.EnumSet.of(Route.TOMCAT_FILTER, Route.JETTY_FILTER, Route.JETTY_HANDLER);
  }

  @Override
  protected Map<String, String> storeOptions(Route route) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("sharedStore", "postgres");
    options.put("postgresDataSource", route == Route.TOMCAT_FILTER || route == Route.TOMCAT_VALVE
        ? "java:comp/env/jdbc/etagguard" : GLOBAL_NAME);
    options.put("postgresTable", namespace + "_validators");
    options.put("postgresTokenSequence", namespace + "_token");
    return options;
  }

  @Override
  protected Map<Map<String, String>, String> misconfigurations(Route route) {
    return Map.of(
        Map.of("postgresDataSource", "java:comp/env/jdbc/missing"),
        "no DataSource at the JNDI name 'java:comp/env/jdbc/missing'",
        Map.of("postgresDataSource", ""), "needs the option 'postgresDataSource'",
        Map.of("postgresTable", "guard; drop table x"), "for ETag Guard option 'postgresTable'");
  }

  @Override
  protected void stopStore() throws Exception {
    server.stop();
  }

  @Override
  protected void startStore() throws Exception {
    server.startAgain();
  }
}
