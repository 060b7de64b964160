package dev.etagguard.cluster.redis;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.testing.ClusterScenarios;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.FencedStorage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/** The scale-out scenarios on a real redis-server, each instance with its own Redisson client. */
class RedisClusterScenariosTest extends ClusterScenarios {

  private static RedisServer server;

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

  /** A client with short timeouts, as the module's documentation advises (generous for a loaded build machine). */
  static RedissonClient client(String address) {
    Config config = new Config();
    config.setThreads(2).setNettyThreads(4);
    config.useSingleServer().setAddress(address).setTimeout(3000).setConnectTimeout(3000).setRetryAttempts(0)
        .setConnectionMinimumIdleSize(2).setConnectionPoolSize(16).setSubscriptionConnectionMinimumIdleSize(0)
        .setSubscriptionConnectionPoolSize(1);
    return Redisson.create(config);
  }

  @Override
  protected Node node(String namespace, Duration leaseTime, boolean renewLease) {
    RedissonClient redisson = client(server.address());
    RedisCluster cluster = RedisCluster.builder(redisson).keyPrefix(namespace + ":").leaseTime(leaseTime)
        .renewLease(renewLease).build();
    return new Node(cluster.store(), cluster.sequencer(), () -> {
      cluster.close();
      redisson.shutdown();
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

  /**
   * Issue 19 #4: one writer, stalled in its handler while Redis restarts without persistence
   * (the lock, the token counter and the write's marker are gone). Its commit finds nothing to
   * compare against, which does not prove that another writer went ahead: the outcome is unknown,
   * 503 {@code write-unconfirmed}, never 409 (which tells the client to apply its change again).
   * The write was applied; the next read-then-write cycle works.
   */
  @Test
  void redisRestartedWithoutPersistenceDuringAStalledWriteAnswers503WriteUnconfirmedNot409() throws Exception {
    FencedStorage storage = new FencedStorage();
    RedissonClient redisson = client(server.address());
    RedisCluster cluster = RedisCluster.builder(redisson).keyPrefix("restart" + System.nanoTime() + ":")
        .leaseTime(Duration.ofSeconds(30)).build();
    GuardEngine engine = GuardEngine.builder(GuardSettings.builder().guardedPaths("/*")
        .permitTimeout(Duration.ofSeconds(10)).build()).store(cluster.store()).sequencer(cluster.sequencer()).build();
    try (EmbeddedServer instance = EmbeddedServer.tomcat(storage.servlet(), new ETagGuardFilter(engine))) {
      URI doc = instance.uri("/doc");
      assertThat(put(doc, "v0", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String v0 = header(get(doc), "ETag");

      FencedStorage.Gate gate = storage.stallNextWrite("/doc");
      CompletableFuture<HttpResponse<byte[]>> a = new CompletableFuture<>();
      Thread writer = new Thread(() -> {
        try {
          a.complete(put(doc, "vA", "If-Match", v0));
        } catch (Throwable e) {
          a.completeExceptionally(e);
        }
      });
      writer.setDaemon(true);
      writer.start();
      HttpResponse<byte[]> answered;
      try {
        gate.awaitEntered();
        Thread.sleep(300);
        server.stop();
        server.startAgain();
        // The client reconnects during the rest of the stall, so the commit reaches the empty Redis.
        awaitReachable(redisson);
        Thread.sleep(500);
      } finally {
        gate.open();
      }
      answered = a.get(60, TimeUnit.SECONDS);
      assertThat(new String(storage.read("/doc"), StandardCharsets.UTF_8)).as("the write was applied").isEqualTo("vA");
      assertThat(answered.statusCode()).as("the stalled writer: %s", text(answered)).isEqualTo(503);
      assertThat(text(answered)).contains("https://etagguard.dev/problems/write-unconfirmed")
          .doesNotContain("write-conflict");

      // The state is re-learned: read, then a conditional write succeeds.
      HttpResponse<byte[]> read = get(doc);
      assertThat(text(read)).isEqualTo("vA");
      HttpResponse<byte[]> next = put(doc, "vB", "If-Match", header(read, "ETag"));
      assertThat(next.statusCode()).as("the next conditional write: %s", text(next)).isBetween(200, 299);
      assertThat(new String(storage.read("/doc"), StandardCharsets.UTF_8)).isEqualTo("vB");
      assertThat(put(doc, "vX", "If-Match", v0).statusCode()).as("the ETag from before the restart").isEqualTo(412);
    } finally {
      cluster.close();
      redisson.shutdown();
    }
  }

  private static void awaitReachable(RedissonClient redisson) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try {
        redisson.getBucket("etag-guard-test-ping").isExists();
        return;
      } catch (RuntimeException e) {
        Thread.sleep(50);
      }
    }
    throw new AssertionError("Redis did not come back");
  }
}
