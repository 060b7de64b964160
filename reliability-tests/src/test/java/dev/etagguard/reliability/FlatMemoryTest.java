package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.Exchange;
import dev.etagguard.BodyBuffer;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResponseView;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.ScriptedHost;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property 5 of docs/guarantees.md, the per-key state: a million distinct resources (250,000
 * outside the profile {@code long}) written, an eighth of them also read, through the engine (the protocol every adapter drives: admit, acquire, decide, complete, close)
 * leave no per-key state in the sequencer and no more validators than {@code validatorStoreSize};
 * the same, on a smaller scale, through each adapter over real sockets. The streaming side of the
 * property (a body larger than the heap) is {@link StreamingTest}.
 */
class FlatMemoryTest {

  private static final int STORE_SIZE = 10_000;
  private static final long DIGEST_CACHE_SIZE = 1 << 20;

  @Test
  void manyKeysThroughTheEngine() throws Exception {
    keysThroughTheEngine(250_000);
  }

  @Tag("long")
  @Test
  void millionKeysThroughTheEngine() throws Exception {
    keysThroughTheEngine(1_000_000);
  }

  private static void keysThroughTheEngine(int keys) throws Exception {
    GuardEngine engine = GuardEngine.create(GuardSettings.builder().validatorStoreSize(STORE_SIZE)
        .digestCacheSize(DIGEST_CACHE_SIZE).build());
    long heapBefore = usedHeapAfterGc();
    long start = System.nanoTime();
    int threads = 4;
    AtomicInteger maxActive = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        futures.add(pool.submit(() -> {
          for (int i = first; i < keys; i += threads) {
            writeAndRead(engine, "/m/" + i, i);
            if (i % 4096 == first) {
              maxActive.accumulateAndGet(engine.sequencer().activeKeys(), Math::max);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(engine.sequencer().heldPermits()).isZero();
    assertThat(engine.sequencer().activeKeys()).as("keys with sequencer state").isZero();
    assertThat(maxActive.get()).as("keys with sequencer state at any sample").isLessThanOrEqualTo(threads);
    long stored = awaitStoreWithin(engine, STORE_SIZE);
    assertThat(stored).as("validators stored").isLessThanOrEqualTo(STORE_SIZE);
    long cached = engine.digestCacheBytes();
    assertThat(cached).as("bytes in the digest cache").isPositive().isLessThanOrEqualTo(DIGEST_CACHE_SIZE);
    long heapAfter = usedHeapAfterGc();
    System.out.printf("FIGURES flat-memory engine keys=%d threads=%d activeKeys=%d maxActiveSampled=%d stored=%d "
        + "validatorStoreSize=%d digestCacheBytes=%d digestCacheSize=%d heapBeforeMiB=%d heapAfterMiB=%d ms=%d%n",
        keys, threads, engine.sequencer().activeKeys(), maxActive.get(), stored, STORE_SIZE, cached,
        DIGEST_CACHE_SIZE, heapBefore >> 20, heapAfter >> 20, ms);
  }

  /**
   * One unconditional PUT (the handler states its ETag) of a resource, and for every eighth one
   * a GET whose 300-byte body is held and digested (and so enters the digest cache), through the
   * engine. Plain checks: a million assertion objects would dominate the run.
   */
  private static void writeAndRead(GuardEngine engine, String path, int i) {
    Exchange write = Exchange.admit(engine, new View("PUT", path));
    check(write != null && write.write(), "a write", path);
    ScriptedHost wrote = new ScriptedHost("PUT", m -> ScriptedHost.Reply.of(204, "\"v" + i + "\"")).run(write);
    check(wrote.answer() == null && wrote.handlerRuns() == 1, "no precondition to refuse", path);
    check(wrote.internalGets() == 0 && wrote.status() == 204, "the handler's ETag is taken", path);
    if (i % 8 != 0) {
      return;
    }
    Exchange read = Exchange.admit(engine, new View("GET", path));
    byte[] body = ("body of " + path + " ").repeat(40).substring(0, 300).getBytes(StandardCharsets.UTF_8);
    ScriptedHost got = new ScriptedHost("GET", m -> new ScriptedHost.Reply(200, Map.of(), body)).run(read);
    check(got.fields().get("ETag") != null, "a digest", path);
    check(got.action() == ReadDecision.Action.FULL && got.status() == 200, "a full 200", path);
  }

  private static void check(boolean condition, String what, String path) {
    if (!condition) {
      throw new AssertionError("expected " + what + " for " + path);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void distinctKeysOverHttp(GuardedServer.Adapter adapter) throws Exception {
    int keys = 400;
    int storeSize = 100;
    GuardSettings settings = GuardSettings.builder().validatorStoreSize(storeSize).guardedPaths("/*").build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, new ResourceServlet())) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
          int first = c;
          futures.add(pool.submit(() -> {
            for (int i = first; i < keys; i += 8) {
              assertThat(put(server.uri("/k/" + i), "v" + i, "If-None-Match", "*").statusCode()).isEqualTo(201);
              assertThat(get(server.uri("/k/" + i)).statusCode()).isEqualTo(200);
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get(5, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
      GuardEngine engine = server.engine();
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(30))).isZero();
      assertThat(engine.sequencer().activeKeys()).as("keys with sequencer state").isZero();
      long stored = awaitStoreWithin(engine, storeSize);
      assertThat(stored).as("validators stored").isLessThanOrEqualTo(storeSize);
      System.out.printf("FIGURES flat-memory adapter=%s keys=%d activeKeys=%d stored=%d validatorStoreSize=%d%n",
          adapter, keys, engine.sequencer().activeKeys(), stored, storeSize);
    }
  }

  /**
   * The store's size once it is within {@code bound}: Caffeine evicts in maintenance work that
   * runs soon after writes, so the estimate may exceed the bound for a moment; waits (bounded).
   */
  private static long awaitStoreWithin(GuardEngine engine, long bound) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (engine.store().estimatedSize() > bound && System.nanoTime() < deadline) {
      // A read of an absent key lets pending maintenance run.
      engine.store().get(new dev.etagguard.spi.ResourceKey("/absent"));
      Thread.sleep(10);
    }
    return engine.store().estimatedSize();
  }

  private static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** A request as an adapter would present it. */
  private record View(String method, String path) implements RequestView {
    @Override
    public String query() {
      return null;
    }

    @Override
    public List<String> headers(String name) {
      return List.of();
    }
  }

  /** A handler's response: status and an optional ETag. */
  private record Response(int status, String etag) implements ResponseView {
    @Override
    public String header(String name) {
      return "ETag".equalsIgnoreCase(name) ? etag : null;
    }
  }
}
