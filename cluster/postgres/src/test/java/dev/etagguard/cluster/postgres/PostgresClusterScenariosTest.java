package dev.etagguard.cluster.postgres;

import java.time.Duration;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.etagguard.cluster.servers.PostgresServer;
import dev.etagguard.testing.ClusterScenarios;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The scale-out scenarios on a real PostgreSQL, each instance with its own connection pool; each
 * test in its own table and token sequence.
 */
class PostgresClusterScenariosTest extends ClusterScenarios {

  private static PostgresServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** A pool that gives up on an unreachable server within seconds, as the module's documentation advises
   * (generous for a loaded build machine). */
  static HikariDataSource pool(String jdbcUrl) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername("postgres");
    config.setMaximumPoolSize(12);
    config.setMinimumIdle(2);
    config.setConnectionTimeout(5000);
    config.setValidationTimeout(1000);
    return new HikariDataSource(config);
  }

  @Override
  protected Node node(String namespace, Duration leaseTime, boolean renewLease) {
    HikariDataSource pool = pool(server.jdbcUrl());
    PostgresCluster cluster = PostgresCluster.builder(pool).table(namespace + "_validators")
        .tokenSequence(namespace + "_token").leaseTime(leaseTime).renewLease(renewLease).build();
    return new Node(cluster.store(), cluster.sequencer(), () -> {
      cluster.close();
      pool.close();
    });
  }

  @Override
  protected void stopEngine() throws Exception {
    server.stop();
  }

  @Override
  protected void startEngine() throws Exception {
    server.startAgain();
  }
}
