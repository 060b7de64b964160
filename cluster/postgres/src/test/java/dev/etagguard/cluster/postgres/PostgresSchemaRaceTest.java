package dev.etagguard.cluster.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.etagguard.cluster.servers.PostgresServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Several instances starting at once on a database without the guard's tables (a rolling
 * deployment, or the jetty-home cluster test's three processes): each creates the schema, and
 * every one starts. PostgreSQL's {@code CREATE ... IF NOT EXISTS} alone is not safe against a
 * concurrent twin ("duplicate key value violates unique constraint pg_type_typname_nsp_index").
 */
class PostgresSchemaRaceTest {

  private static final int INSTANCES = 8;
  private static final int ROUNDS = 5;

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

  @Test
  void instancesCreatingTheSchemaAtOnceAllStart() throws Exception {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setUrl(server.jdbcUrl());
    dataSource.setUser("postgres");
    ExecutorService threads = Executors.newFixedThreadPool(INSTANCES);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        String namespace = "race" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<PostgresCluster>> starts = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
          starts.add(threads.submit(() -> {
            go.await();
            return PostgresCluster.builder(dataSource).table(namespace + "_validators")
                .tokenSequence(namespace + "_token").build();
          }));
        }
        go.countDown();
        for (Future<PostgresCluster> start : starts) {
          try (PostgresCluster cluster = start.get(60, TimeUnit.SECONDS)) {
            assertThat(cluster).isNotNull();
          }
        }
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
