package dev.etagguard.cluster.postgres;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.FencedStorage;
import dev.etagguard.testing.LostUpdateDrill;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Concurrent writes several times the connection pool's size make progress: a held permit does not
 * keep a pooled connection, so the validator store (and the application, sharing the pool in
 * Spring Boot) always gets one. Pools of 10, as HikariCP's default, and 30 concurrent writes.
 */
class PostgresPoolSizeTest {

  private static final Duration PERMIT_TIMEOUT = Duration.ofSeconds(20);
  private static final int WRITES = 30;

  private static PostgresServer server;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final String namespace = "p" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);

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

  @AfterEach
  void close() throws Exception {
    Collections.reverse(closeables);
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  /** An instance: its own pool of 10 (a borrower gives up after 5 s), cluster and engine. */
  private EmbeddedServer instance(FencedStorage storage, boolean jetty) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(server.jdbcUrl());
    config.setUsername("postgres");
    config.setMaximumPoolSize(10);
    config.setConnectionTimeout(5000);
    HikariDataSource pool = new HikariDataSource(config);
    closeables.add(pool);
    PostgresCluster cluster = PostgresCluster.builder(pool).table(namespace + "_validators")
        .tokenSequence(namespace + "_token").build();
    closeables.add(cluster);
    GuardEngine engine = cluster.engine(GuardSettings.builder().guardedPaths("/*").permitTimeout(PERMIT_TIMEOUT)
        .build());
    EmbeddedServer s = jetty ? EmbeddedServer.jetty(storage.servlet(), new ETagGuardFilter(engine))
        : EmbeddedServer.tomcat(storage.servlet(), new ETagGuardFilter(engine));
    closeables.add(s);
    return s;
  }

  private static List<HttpResponse<byte[]>> concurrently(List<Callable<HttpResponse<byte[]>>> calls)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(calls.size());
    try {
      List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
      for (Callable<HttpResponse<byte[]>> call : calls) {
        futures.add(pool.submit(call));
      }
      List<HttpResponse<byte[]>> answers = new ArrayList<>();
      for (Future<HttpResponse<byte[]>> f : futures) {
        answers.add(f.get(120, TimeUnit.SECONDS));
      }
      return answers;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void thirtyConcurrentWritesToDifferentKeysOnAPoolOfTenAllSucceed() throws Exception {
    FencedStorage storage = new FencedStorage();
    EmbeddedServer s = instance(storage, false);

    List<Callable<HttpResponse<byte[]>>> creates = new ArrayList<>();
    for (int i = 0; i < WRITES; i++) {
      URI uri = s.uri("/doc/" + i);
      creates.add(() -> put(uri, "v0", "If-None-Match", "*"));
    }
    long start = System.nanoTime();
    List<HttpResponse<byte[]>> created = concurrently(creates);
    long took = System.nanoTime() - start;
    for (int i = 0; i < WRITES; i++) {
      assertThat(created.get(i).statusCode()).as("create %d: %s", i, text(created.get(i))).isEqualTo(201);
    }
    assertThat(Duration.ofNanos(took)).as("30 creates").isLessThan(PERMIT_TIMEOUT.dividedBy(2));

    List<Callable<HttpResponse<byte[]>>> updates = new ArrayList<>();
    for (int i = 0; i < WRITES; i++) {
      URI uri = s.uri("/doc/" + i);
      String tag = header(get(uri), "ETag");
      updates.add(() -> put(uri, "v1", "If-Match", tag));
    }
    start = System.nanoTime();
    List<HttpResponse<byte[]>> updated = concurrently(updates);
    took = System.nanoTime() - start;
    for (int i = 0; i < WRITES; i++) {
      assertThat(updated.get(i).statusCode()).as("update %d: %s", i, text(updated.get(i))).isEqualTo(204);
      assertThat(text(get(s.uri("/doc/" + i)))).isEqualTo("v1");
    }
    assertThat(Duration.ofNanos(took)).as("30 updates").isLessThan(PERMIT_TIMEOUT.dividedBy(2));
  }

  @Test
  void thirtyConcurrentWritersOfOneKeyOnTwoInstancesWithPoolsOfTenLoseNoUpdate() throws Exception {
    FencedStorage storage = new FencedStorage();
    EmbeddedServer a = instance(storage, false);
    EmbeddedServer b = instance(storage, true);
    LostUpdateDrill.Report report = LostUpdateDrill.across(List.of(a.uri("/counter"), b.uri("/counter")))
        .clients(WRITES).incrementsEach(2).run();
    System.out.println("PostgresPoolSizeTest, 30 writers of one key, two instances, pools of 10: " + report);
    assertThat(report.lostUpdates()).isZero();
    assertThat(storage.refused()).as("fenced writes refused: no permit was lost").isZero();
  }
}
