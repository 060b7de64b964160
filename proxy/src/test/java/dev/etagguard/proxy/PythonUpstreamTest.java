package dev.etagguard.proxy;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.conformance.kit.ConformanceKit;
import dev.etagguard.testing.LostUpdateDrill;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The proxy in front of the sample upstream that is not Java ({@code samples/python-upstream}, an
 * in-memory store that knows nothing of ETags): the lost-update drill and the conformance kit
 * through the proxy pass with nothing lost, and the same clients reaching the same upstream
 * directly lose updates.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonUpstreamTest {

  private PythonUpstream upstream;
  private ETagGuardProxy proxy;

  @BeforeAll
  void start() throws Exception {
    upstream = PythonUpstream.start();
    proxy = ETagGuardProxy.builder().upstream(upstream.base().toString()).port(0)
        .guardOption("guardedPaths", "/counters/*,/guarded/*").build().start();
  }

  @AfterAll
  void stop() throws Exception {
    proxy.close();
    upstream.close();
  }

  @Test
  void theLostUpdateDrillLosesNothingThroughTheProxy() throws Exception {
    LostUpdateDrill.Result result = LostUpdateDrill.run(proxy.uri().resolve("/counters/drill"), 8, 10);
    assertThat(result.successes()).isEqualTo(80);
  }

  @Test
  void lockstepClientsLoseUpdatesDirectlyAndNoneThroughTheProxy() throws Exception {
    Rounds direct = rounds(upstream.base().resolve("/lockstep-direct"), 4, 5);
    Rounds guarded = rounds(proxy.uri().resolve("/counters/lockstep"), 4, 5);
    System.out.println("lockstep read-modify-write, 4 clients x 5 rounds: directly " + direct + "; through the proxy "
        + guarded);
    // Directly: all four read the same value in each round and all four writes are acknowledged.
    assertThat(direct.acknowledged()).isEqualTo(20);
    assertThat(direct.lost()).isEqualTo(15);
    // Through the proxy: one write per round wins, the three stale ones get 412.
    assertThat(guarded.lost()).isZero();
    assertThat(guarded.acknowledged()).isEqualTo(5);
    assertThat(guarded.refused()).isEqualTo(15);
  }

  @Test
  void theConformanceKitPassesThroughTheProxyAndFailsDirectly() {
    String base = proxy.uri().toString();
    Kit guarded = kit(base + "guarded/", "--open=" + base + "open/");
    assertThat(guarded.exit()).as(guarded.table()).isEqualTo(ConformanceKit.PASSED);
    assertThat(guarded.table()).doesNotContainPattern("(?m)^\\S+ +FAIL ")
        .containsPattern("(?m)^LU +PASS +0 lost +0 lost ")
        .containsPattern("(?m)^PASS: \\d+ checks, \\d+ passed, 0 failed, \\d+ skipped$");

    Kit direct = kit(upstream.base() + "direct/", "--no-policy");
    assertThat(direct.exit()).as(direct.table()).isEqualTo(ConformanceKit.FAILED);
    assertThat(direct.table()).containsPattern("(?m)^LU +FAIL ");
  }

  record Kit(int exit, String table) {
  }

  private static Kit kit(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int exit = ConformanceKit.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String table = bytes.toString(StandardCharsets.UTF_8);
    System.out.println("$ java -jar etag-guard-conformance.jar " + String.join(" ", args) + "\n" + table
        + "exit status " + exit + "\n");
    return new Kit(exit, table);
  }

  /** What a lockstep run did. */
  record Rounds(int acknowledged, int refused, int finalValue) {
    int lost() {
      return acknowledged - finalValue;
    }
  }

  /**
   * Read-modify-write in lockstep: in each round every client reads the counter, then (once all
   * have read) writes its value plus one, with {@code If-Match} when the read carried an ETag.
   * Writes refused with 412 are not retried: the round is over for that client.
   */
  private static Rounds rounds(URI counter, int clients, int rounds) throws Exception {
    assertThat(put(counter, "0", "If-None-Match", "*").statusCode()).isEqualTo(201);
    CyclicBarrier barrier = new CyclicBarrier(clients);
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        String session = "client=" + c;
        futures.add(pool.submit(() -> {
          for (int r = 0; r < rounds; r++) {
            HttpResponse<byte[]> read = get(counter);
            assertThat(read.statusCode()).isEqualTo(200);
            int value = Integer.parseInt(text(read));
            String tag = header(read, "ETag");
            barrier.await(30, TimeUnit.SECONDS);
            HttpResponse<byte[]> write = tag == null
                ? put(counter, Integer.toString(value + 1), "Cookie", session)
                : put(counter, Integer.toString(value + 1), "If-Match", tag, "Cookie", session);
            if (write.statusCode() / 100 == 2) {
              acknowledged.incrementAndGet();
            } else {
              assertThat(write.statusCode()).as(text(write)).isEqualTo(412);
              refused.incrementAndGet();
            }
            barrier.await(30, TimeUnit.SECONDS);
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return new Rounds(acknowledged.get(), refused.get(), Integer.parseInt(text(get(counter))));
  }
}
