package dev.etagguard.cluster.postgres;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.SharedStore;

/**
 * The shared store {@code sharedStore=postgres}: a {@link PostgresCluster} on the DataSource the
 * server binds at the JNDI name {@code postgresDataSource} (Tomcat: a {@code <Resource>} in
 * {@code context.xml}, or a {@code <ResourceLink>} to one of {@code server.xml}'s
 * {@code <GlobalNamingResources>}; Jetty: an {@code org.eclipse.jetty.plus.jndi.Resource}),
 * configured by the options {@code postgresTable}, {@code postgresTokenSequence},
 * {@code postgresCreateSchema}, {@code leaseTime} and {@code renewLease}. Found by the engine
 * through {@link java.util.ServiceLoader}; in code, use {@link PostgresCluster} itself.
 *
 * <p>The name is looked up when the engine is built, in the naming environment of the calling
 * thread (the filter's webapp; the valve binds its webapp's). Nothing found there fails the start
 * with a message naming the JNDI name; a server that cannot be reached does not (see
 * {@link PostgresCluster.Builder#build()}). The DataSource stays the server's: closing the engine
 * stops the sequencer's threads only. Stateless and thread-safe.
 *
 * @since 0.1
 */
public final class PostgresSharedStore implements SharedStore {

  /** The store, as {@link java.util.ServiceLoader} makes it. */
  public PostgresSharedStore() {
  }

  /** {@code postgres}. */
  @Override
  public String name() {
    return "postgres";
  }

  @Override
  public Opened open(GuardSettings settings) {
    PostgresCluster.Builder builder = PostgresCluster.builder(dataSource(settings.postgresDataSource()));
    PostgresCluster cluster = builder.options(settings).build();
    return Opened.of(cluster.store(), cluster.sequencer(), cluster);
  }

  /** The DataSource at a JNDI name, with a message naming it when there is none. */
  static DataSource dataSource(String jndiName) {
    if (jndiName.isBlank()) {
      throw new IllegalArgumentException("ETag Guard option 'sharedStore' is postgres, which needs the option "
          + "'postgresDataSource': the JNDI name of the DataSource the server defines, e.g. "
          + "java:comp/env/jdbc/etagguard");
    }
    Object found;
    try {
      found = new InitialContext().lookup(jndiName);
    } catch (NamingException e) {
      throw new IllegalArgumentException("ETag Guard option 'postgresDataSource': no DataSource at the JNDI name '"
          + jndiName + "' (" + e + ")", e);
    }
    if (!(found instanceof DataSource dataSource)) {
      throw new IllegalArgumentException("ETag Guard option 'postgresDataSource': the JNDI name '" + jndiName
          + "' is bound to " + (found == null ? "nothing" : "a " + found.getClass().getName())
          + ", not a javax.sql.DataSource");
    }
    return dataSource;
  }
}
