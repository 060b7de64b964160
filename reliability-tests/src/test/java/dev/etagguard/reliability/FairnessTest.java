package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.support.Builtins;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Property 4 of docs/guarantees.md: writers to one resource proceed in arrival order; a writer
 * that waits longer than {@code permitTimeout} gets 503 with Retry-After and a problem body, not a
 * hang; when {@code maxWaitersPerKey} writers wait, the next gets that 503 at once; afterwards no
 * permit is held and the next writer proceeds.
 *
 * <p>No timing: the first writer holds the resource's permit inside the handler until the test
 * opens a gate, and each next writer starts only once the previous one is queued in the
 * sequencer (observed through a wrapper around the built-in sequencer). The order in which the
 * handler applied the writes is recorded under the permit.
 */
class FairnessTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final ExecutorService clients = Executors.newCachedThreadPool();

  @AfterEach
  void stopClients() {
    clients.shutdownNow();
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void writersProceedInArrivalOrder(GuardedServer.Adapter adapter) throws Exception {
    int writers = 8;
    Setup s = start(adapter, GuardSettings.builder().permitTimeout(Duration.ofMinutes(1)).build());
    try (GuardedServer server = s.server) {
      URI uri = server.uri("/fair/a");
      List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
      responses.add(send(server.uri("/fair/a?gate"), "w0"));
      await(() -> server.engine().sequencer().heldPermits(), 1, "the first writer holds the permit");
      await(() -> s.servlet.atGate.get(), 1, "the first writer waits at the gate");
      for (int i = 1; i < writers; i++) {
        responses.add(send(uri, "w" + i));
        await(s.sequencer.waiting::get, i, "writer " + i + " queued");
      }
      s.servlet.gate.countDown();
      for (int i = 0; i < writers; i++) {
        assertThat(responses.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).as("writer %d", i)
            .isEqualTo(i == 0 ? 201 : 204);
      }
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        expected.add("w" + i);
      }
      assertThat(s.servlet.applied).as("%s: the order writes were applied", adapter).containsExactlyElementsOf(expected);
      assertIdleAndNextWriterProceeds(server, uri);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void writerWaitingPastPermitTimeoutGets503(GuardedServer.Adapter adapter) throws Exception {
    Setup s = start(adapter, GuardSettings.builder().permitTimeout(Duration.ofMillis(300)).build());
    try (GuardedServer server = s.server) {
      URI uri = server.uri("/timeout/a");
      CompletableFuture<HttpResponse<byte[]>> holder = send(server.uri("/timeout/a?gate"), "held");
      await(() -> s.servlet.atGate.get(), 1, "the first writer waits at the gate");
      HttpResponse<byte[]> late = send(uri, "late").get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(s.servlet.gate.getCount()).as("answered while the permit is still held").isEqualTo(1);
      assertUnavailable(late, "took too long");
      s.servlet.gate.countDown();
      assertThat(holder.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(s.servlet.applied).containsExactly("held");
      assertIdleAndNextWriterProceeds(server, uri);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void fullQueueAnswers503AtOnce(GuardedServer.Adapter adapter) throws Exception {
    Duration permitTimeout = Duration.ofMinutes(2);
    Setup s = start(adapter, GuardSettings.builder().permitTimeout(permitTimeout).maxWaitersPerKey(2).build());
    try (GuardedServer server = s.server) {
      URI uri = server.uri("/full/a");
      CompletableFuture<HttpResponse<byte[]>> holder = send(server.uri("/full/a?gate"), "w0");
      await(() -> s.servlet.atGate.get(), 1, "the first writer waits at the gate");
      CompletableFuture<HttpResponse<byte[]>> w1 = send(uri, "w1");
      await(s.sequencer.waiting::get, 1, "writer 1 queued");
      CompletableFuture<HttpResponse<byte[]>> w2 = send(uri, "w2");
      await(s.sequencer.waiting::get, 2, "writer 2 queued");
      long start = System.nanoTime();
      HttpResponse<byte[]> refused = send(uri, "w3").get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long waitedNanos = System.nanoTime() - start;
      assertUnavailable(refused, "Too many requests are waiting");
      assertThat(s.sequencer.waiting.get()).as("both waiters still wait").isEqualTo(2);
      assertThat(s.servlet.gate.getCount()).as("answered while the permit is still held").isEqualTo(1);
      // Not a wait for the permit: it came back long before permitTimeout could have passed.
      assertThat(Duration.ofNanos(waitedNanos)).isLessThan(permitTimeout);
      s.servlet.gate.countDown();
      assertThat(holder.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(w1.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(204);
      assertThat(w2.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(204);
      assertThat(s.servlet.applied).containsExactly("w0", "w1", "w2");
      assertIdleAndNextWriterProceeds(server, uri);
    }
  }

  private static void assertUnavailable(HttpResponse<byte[]> response, String detail) {
    assertThat(response.statusCode()).isEqualTo(503);
    String retryAfter = header(response, "Retry-After");
    assertThat(retryAfter).as("Retry-After").isNotNull().containsOnlyDigits();
    assertThat(Integer.parseInt(retryAfter)).isPositive();
    assertThat(header(response, "Content-Type")).startsWith("application/problem+json");
    JsonNode problem = JsonMapper.builder().build().readTree(response.body());
    assertThat(problem.get("status").asInt()).isEqualTo(503);
    assertThat(problem.get("title").asString()).isEqualTo("Service Unavailable");
    assertThat(problem.get("type").asString()).isNotBlank();
    assertThat(problem.get("detail").asString()).contains(detail);
  }

  private static void assertIdleAndNextWriterProceeds(GuardedServer server, URI uri) throws Exception {
    assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, WAIT)).as("permits held").isZero();
    assertThat(server.engine().sequencer().activeKeys()).isZero();
    assertThat(put(uri, "next").statusCode()).as("the next writer").isEqualTo(204);
  }

  private CompletableFuture<HttpResponse<byte[]>> send(URI uri, String body) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return put(uri, body);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }, clients);
  }

  private static void await(IntSupplier value, int expected, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (value.getAsInt() != expected && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertThat(value.getAsInt()).as(what).isEqualTo(expected);
  }

  private static Setup start(GuardedServer.Adapter adapter, GuardSettings settings) throws Exception {
    ObservedSequencer sequencer = new ObservedSequencer(Builtins.localSequencer(settings.maxWaitersPerKey()));
    GatedServlet servlet = new GatedServlet();
    GuardEngine engine = GuardEngine.builder(settings).sequencer(sequencer).build();
    return new Setup(GuardedServer.start(adapter, engine, servlet, Map.of()), sequencer, servlet);
  }

  private record Setup(GuardedServer server, ObservedSequencer sequencer, GatedServlet servlet) {
  }

  /**
   * The resource servlet, recording the bodies of the writes it applied in order (under the
   * permit); a request with {@code ?gate} waits, before doing anything, until the test opens
   * the gate.
   */
  static final class GatedServlet extends ResourceServlet {
    private static final long serialVersionUID = 1L;
    final transient CountDownLatch gate = new CountDownLatch(1);
    final transient AtomicInteger atGate = new AtomicInteger();
    final transient List<String> applied = Collections.synchronizedList(new ArrayList<>());

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if (req.getParameter("gate") != null) {
        atGate.incrementAndGet();
        try {
          if (!gate.await(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the gate never opened");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      super.service(req, resp);
      if ("PUT".equals(req.getMethod()) && resp.getStatus() < 300) {
        applied.add(new String(store.get(req.getPathInfo() == null ? req.getServletPath()
            : req.getServletPath() + req.getPathInfo()), java.nio.charset.StandardCharsets.UTF_8));
      }
    }
  }

  /** The built-in sequencer, observed: how many write acquisitions are waiting right now. */
  static final class ObservedSequencer implements WriteSequencer {
    private final WriteSequencer delegate;
    final AtomicInteger waiting = new AtomicInteger();

    ObservedSequencer(WriteSequencer delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
      CompletableFuture<Permit> permit = delegate.acquire(key, maxWait);
      if (!permit.isDone()) {
        waiting.incrementAndGet();
        permit.whenComplete((p, failure) -> waiting.decrementAndGet());
      }
      return permit;
    }

    @Override
    public CompletableFuture<Permit> acquireShared(ResourceKey key, Duration maxWait) {
      return delegate.acquireShared(key, maxWait);
    }

    @Override
    public int heldPermits() {
      return delegate.heldPermits();
    }

    @Override
    public int activeKeys() {
      return delegate.activeKeys();
    }
  }
}
