package dev.etagguard.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;

import dev.etagguard.GuardEngine;
import dev.etagguard.cluster.postgres.PostgresCluster;
import dev.etagguard.cluster.servers.PostgresServer;
import dev.etagguard.cluster.servers.RedisServer;
import dev.etagguard.settings.GuardSettings;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The shared stores of the harness's modes {@code redis} and {@code postgres}: one server each,
 * started on first use from the build's Maven artifacts ({@code etag-guard-cluster-servers}) and
 * stopped by {@link #closeAll()} after the engines; each engine has a key space of its own.
 */
final class SharedStores {

  private static RedisServer redis;
  private static PostgresServer postgres;
  private static int engines;
  private static final java.util.List<AutoCloseable> opened = new java.util.ArrayList<>();

  private SharedStores() {
  }

  /** An engine with {@code settings} on the Redis store, by the options a user would set. */
  static synchronized GuardEngine redisEngine(GuardSettings.Builder settings) {
    if (redis == null) {
      redis = start(RedisServer::start);
    }
    return opened(GuardEngine.create(settings.sharedStore("redis").redisAddress(redis.address())
        .redisKeyPrefix("bench-" + (++engines) + ":").build()));
  }

  /** An engine with {@code settings} on the PostgreSQL store (through a HikariCP pool), its tables its own. */
  static synchronized GuardEngine postgresEngine(GuardSettings.Builder settings) {
    if (postgres == null) {
      postgres = start(PostgresServer::start);
    }
    // A pool, as an application's DataSource is: without one each statement would open a connection.
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(postgres.jdbcUrl());
    pool.setUsername("postgres");
    pool.setMaximumPoolSize(16);
    HikariDataSource ds = opened(new HikariDataSource(pool));
    String table = "bench_" + (++engines);
    PostgresCluster cluster = opened(PostgresCluster.builder(ds).table(table).tokenSequence(table + "_token").build());
    return opened(cluster.engine(settings.build()));
  }

  private static <T extends AutoCloseable> T opened(T closeable) {
    opened.add(closeable);
    return closeable;
  }

  /** Closes the engines and clusters made (their clients' threads), then the servers. */
  static synchronized void closeAll() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
    opened.clear();
    if (redis != null) {
      redis.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @FunctionalInterface
  private interface Start<T> {
    T start() throws IOException, InterruptedException;
  }

  private static <T> T start(Start<T> start) {
    try {
      return start.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
