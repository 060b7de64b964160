package dev.etagguard.cluster.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import dev.etagguard.cluster.servers.RedisServer;
import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNode;
import org.redisson.api.redisnode.RedisNodes;

/**
 * The commands one uncontended conditional write sends, in the order the engine drives a fenced
 * write (acquire, which also reads the stored validators; marker compare-and-set; commit
 * compare-and-set, which also releases), counted by the server ({@code INFO commandstats}): each
 * is one round trip.
 */
class RedisRoundTripsTest {

  private static RedisServer server;
  /** What the last write committed. */
  private static Validators committed;

  @BeforeAll
  static void startServer() throws Exception {
    server = RedisServer.start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anUncontendedWriteTakesThreeRoundTrips() throws Exception {
    RedissonClient redisson = RedisClusterScenariosTest.client(server.address());
    try (RedisCluster cluster = RedisCluster.builder(redisson).keyPrefix("trips:").leaseTime(Duration.ofSeconds(30))
        .build()) {
      ResourceKey key = new ResourceKey("/trips/1");
      ValidatorStore store = cluster.store();
      Validators current = Validators.of(EntityTag.strong("v0"), null);
      assertThat(store.compareAndSet(key, null, current)).isTrue();
      committed = current;
      RedisNode node = redisson.getRedisNodes(RedisNodes.SINGLE).getInstance();
      // The first write loads the scripts (the first use of each costs a NOSCRIPT and a SCRIPT LOAD).
      Map<String, Long> sent = written(node, () -> write(cluster, key, 1));
      sent = written(node, () -> write(cluster, key, 2));

      System.out.println("Commands of one write: " + sent);
      // Sent: the lock script (which reads the validators), the marker's compare-and-set script,
      // the commit's compare-and-set script (which unlocks); the scripts' own calls are counted
      // too: lock set, time, hmget, hset, pexpire; each compare-and-set hget, hset, pexpire; the
      // commit's unlock get, del.
      assertThat(sent).isEqualTo(Map.of("evalsha", 3L, "hmget", 1L, "hget", 2L, "set", 1L, "time", 1L, "hset", 3L,
          "pexpire", 3L, "get", 1L, "del", 1L));
      assertThat(cluster.sequencer().heldPermits()).isZero();
      // Not asserted (machines differ): the time these calls take, for the record.
      long[] took = new long[200];
      for (int i = 0; i < took.length; i++) {
        long start = System.nanoTime();
        write(cluster, key, 100 + i);
        took[i] = System.nanoTime() - start;
      }
      Arrays.sort(took);
      System.out.printf("One write (SPI calls, release not awaited): p50 %d us, p99 %d us%n", took[100] / 1000,
          took[198] / 1000);
    } finally {
      redisson.shutdown();
    }
  }

  private interface Write {
    void run() throws Exception;
  }

  /** The commands {@code write} sends, once its release (asynchronous) has deleted the lock. */
  private static Map<String, Long> written(RedisNode node, Write write) throws Exception {
    Map<String, Long> before = calls(node);
    write.run();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    Map<String, Long> sent = sent(before, calls(node));
    while (!sent.containsKey("del") && System.nanoTime() < deadline) {
      Thread.sleep(5);
      sent = sent(before, calls(node));
    }
    return sent;
  }

  /**
   * One write as the engine drives it, with If-Match on the current validators: what the grant
   * read stands for the store's read, and the commit releases the permit.
   */
  private static void write(RedisCluster cluster, ResourceKey key, int n) throws Exception {
    ValidatorStore store = cluster.store();
    WriteSequencer.Permit permit = cluster.sequencer().acquire(key, Duration.ofSeconds(5)).get();
    WriteSequencer.StoreEntry entry = permit.storeEntry();
    assertThat(entry).isNotNull();
    assertThat(entry.store()).isSameAs(store);
    Validators found = entry.found();
    assertThat(found).isEqualTo(committed); // the last write's validators, as the store holds them
    Validators marker = Validators.of(EntityTag.weak("etag-guard-write-" + n + "-x"), null);
    assertThat(store.compareAndSet(key, found, marker)).isTrue();
    Validators next = Validators.of(EntityTag.strong("v" + n), null);
    assertThat(entry.compareAndSetAndRelease(marker, next)).isTrue();
    committed = next;
    permit.release(); // as the engine's close() does: released already, nothing more is sent
  }

  /** Calls per command, without the counting's own INFO and the client's keep-alive PINGs. */
  private static Map<String, Long> calls(RedisNode node) {
    Map<String, Long> calls = new TreeMap<>();
    node.info(RedisNode.InfoSection.COMMANDSTATS).forEach((name, stats) -> {
      String command = name.substring(name.indexOf('_') + 1);
      if (!command.equals("info") && !command.equals("ping")) {
        calls.put(command, Long.parseLong(stats.replaceFirst("^calls=(\\d+),.*$", "$1")));
      }
    });
    return calls;
  }

  private static Map<String, Long> sent(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> sent = new TreeMap<>();
    after.forEach((command, n) -> {
      long d = n - before.getOrDefault(command, 0L);
      if (d > 0) {
        sent.put(command, d);
      }
    });
    return sent;
  }
}
