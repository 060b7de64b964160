package dev.etagguard.cluster.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

import dev.etagguard.cluster.servers.PostgresServer;
import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The statements one uncontended conditional write sends, in the order the engine drives a fenced
 * write (acquire, which also reads the stored validators; marker compare-and-set; commit
 * compare-and-set, which also releases), counted at the JDBC boundary: each statement and each
 * commit is one round trip to the server.
 */
class PostgresRoundTripsTest {

  private static PostgresServer server;
  private static HikariDataSource pool;
  /** What the last write committed. */
  private static Validators committed;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
    pool = PostgresClusterScenariosTest.pool(server.jdbcUrl());
  }

  @AfterAll
  static void stopServer() {
    if (pool != null) {
      pool.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anUncontendedWriteTakesThreeRoundTrips() throws Exception {
    List<String> sent = Collections.synchronizedList(new ArrayList<>());
    try (PostgresCluster cluster = PostgresCluster.builder(counting(pool, sent)).table("trips_validators")
        .tokenSequence("trips_token").leaseTime(Duration.ofSeconds(30)).build()) {
      ResourceKey key = new ResourceKey("/trips/1");
      ValidatorStore store = cluster.store();
      Validators current = Validators.of(EntityTag.strong("v1"), null);
      assertThat(store.compareAndSet(key, null, current)).isTrue();
      committed = current;
      sent.clear();

      write(cluster, key, 1);

      // acquire: the advisory lock and enqueue-and-grant (which reads the validators) sent together,
      // one implicit transaction ended by one Sync; then the marker's compare-and-set, and the
      // commit's compare-and-set with the delete of the permit's row
      System.out.println("Round trips of one write: " + sent.size() + " " + sent);
      assertThat(sent).as("round trips").hasSize(3);
      assertThat(sent.get(0)).startsWith("SELECT pg_advisory_xact_lock(?); WITH now AS").contains("INSERT INTO");
      assertThat(sent.get(2)).startsWith("WITH done AS (UPDATE").contains("DELETE FROM");
      assertThat(cluster.sequencer().heldPermits()).isZero();
      // Not asserted (machines differ): the time these calls take, for the record.
      long[] took = new long[200];
      for (int i = 0; i < took.length; i++) {
        long start = System.nanoTime();
        write(cluster, key, i);
        took[i] = System.nanoTime() - start;
      }
      Arrays.sort(took);
      System.out.printf("One write (SPI calls, release not awaited): p50 %d us, p99 %d us%n", took[100] / 1000,
          took[198] / 1000);
    }
  }

  /**
   * One write as the engine drives it, with If-Match on the current validators: what the grant
   * read stands for the store's read, and the commit releases the permit.
   */
  private static void write(PostgresCluster cluster, ResourceKey key, int n) throws Exception {
    ValidatorStore store = cluster.store();
    WriteSequencer.Permit permit = cluster.sequencer().acquire(key, Duration.ofSeconds(5)).get();
    WriteSequencer.StoreEntry entry = permit.storeEntry();
    assertThat(entry).isNotNull();
    assertThat(entry.store()).isSameAs(store);
    Validators found = entry.found();
    assertThat(found).isEqualTo(committed); // the last write's validators, as the store holds them
    Validators marker = Validators.of(EntityTag.weak("etag-guard-write-t" + n + "-x"), null);
    assertThat(store.compareAndSet(key, found, marker)).isTrue();
    Validators next = Validators.of(EntityTag.strong("t" + n), null);
    assertThat(entry.compareAndSetAndRelease(marker, next)).isTrue();
    committed = next;
    permit.release(); // as the engine's close() does: released already, nothing more is sent
  }

  /** A DataSource that records every statement it runs and every commit. */
  static DataSource counting(DataSource target, List<String> sent) {
    return proxy(DataSource.class, target, (method, args, result) -> {
      if (result instanceof Connection c) {
        return proxy(Connection.class, c, (m, a, r) -> {
          if (m.equals("commit")) {
            sent.add("COMMIT");
          }
          if (r instanceof PreparedStatement st && a != null && a.length > 0) {
            String sql = ((String) a[0]).replaceFirst("^WITH .* INSERT", "INSERT");
            return proxy(PreparedStatement.class, st, (sm, sa, sr) -> {
              if (sm.startsWith("execute")) {
                sent.add(sql);
              }
              return sr;
            });
          }
          return r;
        });
      }
      return result;
    });
  }

  private interface After {
    Object apply(String method, Object[] args, Object result) throws Exception;
  }

  private static <T> T proxy(Class<T> type, T target, After after) {
    InvocationHandler h = (p, m, args) -> {
      Object result;
      try {
        result = m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      return after.apply(m.getName(), args, result);
    };
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h));
  }

}
