package dev.etagguard.cluster.postgres;

/**
 * {@link PostgresRoutesTest} with the Tomcat valve in place of the web.xml filter on Tomcat: the
 * valve finds the webapp's {@code java:comp/env/jdbc/etagguard} when it makes the webapp's engine.
 */
class PostgresValveRoutesTest extends PostgresRoutesTest {

  @Override
  protected java.util.Set<Route> routes() {
    return java.util.EnumSet.of(Route.TOMCAT_VALVE, Route.JETTY_FILTER, Route.JETTY_HANDLER);
  }
}
