package dev.etagguard.reliability;

import static dev.etagguard.reliability.RegisterChecker.ABSENT;
import static dev.etagguard.testing.Http.header;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.reliability.RegisterChecker.Kind;
import dev.etagguard.reliability.RegisterChecker.Op;
import dev.etagguard.reliability.RegisterChecker.Result;
import dev.etagguard.reliability.RegisterChecker.Verdict;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.testing.Http;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property 1 of docs/guarantees.md: the writes to one resource are linearizable. 32 clients
 * run GETs (some with If-None-Match), PUTs with If-Match, PUTs with If-None-Match: *, DELETEs with
 * If-Match and unconditional PUTs on one resource over real sockets, each recording when it sent
 * the request and when it had the whole response, what it sent and what it got; every value
 * written is unique, so each ETag stands for one value. {@link RegisterChecker} then looks for a
 * linearization of the history as a compare-and-set register. A 5xx or an I/O error leaves the
 * operation's outcome unknown (it may or may not have happened).
 */
class LinearizableWritesTest {

  private static final int CLIENTS = 32;

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void historiesAreLinearizable(GuardedServer.Adapter adapter) throws Exception {
    run(adapter, false, 3, 10);
  }

  @Tag("long")
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void manyHistoriesAreLinearizable(GuardedServer.Adapter adapter) throws Exception {
    run(adapter, false, 20, 30);
    run(adapter, true, 20, 30);
  }

  /**
   * The recording and the checker together can fail: with a sequencer that lets every write in
   * at once (no ordering) and writes that take 30 ms, concurrent compare-and-sets from one ETag
   * both pass their precondition, and the checker finds the history not linearizable.
   */
  @ParameterizedTest
  @EnumSource(value = GuardedServer.Adapter.class, names = "FILTER_TOMCAT")
  void unorderedWritesAreCaught(GuardedServer.Adapter adapter) throws Exception {
    WriteSequencer unordered = new WriteSequencer() {
      @Override
      public CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
        return CompletableFuture.completedFuture(new Permit() {
          @Override
          public ResourceKey key() {
            return key;
          }

          @Override
          public void release() {
          }
        });
      }
    };
    GuardEngine engine = GuardEngine.builder(GuardSettings.DEFAULTS).sequencer(unordered).build();
    try (GuardedServer server = GuardedServer.start(adapter, engine, new ResourceServlet(), Map.of())) {
      List<String> caught = new ArrayList<>();
      for (int h = 0; h < 5 && caught.isEmpty(); h++) {
        URI uri = server.uri("/broken/" + h);
        History history = new History(uri, URI.create(uri + "?slow=30"), h);
        history.record(10);
        Verdict verdict = RegisterChecker.check(history.ops, ABSENT);
        if (!verdict.linearizable()) {
          caught.add(verdict.detail());
        }
        caught.addAll(history.violations);
      }
      assertThat(caught).as("an unordered guard is caught").isNotEmpty();
      System.out.println("Caught without ordering: " + caught.get(0));
    }
  }

  private static void run(GuardedServer.Adapter adapter, boolean readPermits, int histories, int opsPerClient)
      throws Exception {
    GuardSettings settings = GuardSettings.builder().readPermits(readPermits).build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, new ResourceServlet())) {
      record(server, "/lin/" + (readPermits ? "r" : "w"), histories, opsPerClient);
    }
  }

  /**
   * Records {@code histories} histories of {@value #CLIENTS} clients on resources under
   * {@code prefix} of a running server and checks each; used by the option matrix too.
   */
  static void record(GuardedServer server, String prefix, int histories, int opsPerClient) throws Exception {
    GuardedServer.Adapter adapter = server.adapter();
    boolean readPermits = server.engine().settings().readPermits();
    long start = System.nanoTime();
    int operations = 0;
    int unknown = 0;
    long configurations = 0;
    for (int h = 0; h < histories; h++) {
      URI uri = server.uri(prefix + h);
      History history = new History(uri, uri, h);
      history.record(opsPerClient);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(10)))
          .as("permits held after history %d", h).isZero();
      assertThat(history.violations).as("%s history %d: responses that no register explains", adapter, h).isEmpty();
      Verdict verdict = RegisterChecker.check(history.ops, ABSENT);
      assertThat(verdict.linearizable()).as("%s history %d (%d ops): %s", adapter, h, history.ops.size(),
          verdict.detail()).isTrue();
      operations += verdict.operations();
      unknown += history.unknown.get();
      configurations += verdict.configurations();
    }
    assertThat(server.engine().sequencer().activeKeys()).isZero();
    System.out.printf("FIGURES linearizability adapter=%s readPermits=%s histories=%d clients=%d operations=%d "
        + "unknown=%d configurations=%d ms=%d%n", adapter, readPermits, histories, CLIENTS, operations, unknown,
        configurations, (System.nanoTime() - start) / 1_000_000);
  }

  /** One history: 32 clients on one resource. */
  private static final class History {
    final URI uri;
    final URI writeUri;
    final int number;
    final List<Op> ops = Collections.synchronizedList(new ArrayList<>());
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger unknown = new AtomicInteger();
    /** Value bodies to their numbers, and each number's ETag once seen. */
    final Map<String, Integer> values = new ConcurrentHashMap<>();
    final Map<String, Integer> valueOfTag = new ConcurrentHashMap<>();
    final Map<Integer, String> tagOfValue = new ConcurrentHashMap<>();
    final AtomicInteger nextValue = new AtomicInteger();

    History(URI uri, URI writeUri, int number) {
      this.uri = uri;
      this.writeUri = writeUri;
      this.number = number;
    }

    void record(int opsPerClient) throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      CountDownLatch go = new CountDownLatch(1);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
          int client = c;
          futures.add(pool.submit(() -> {
            go.await();
            new Client(this, client, new Random(number * 1000L + client)).run(opsPerClient);
            return null;
          }));
        }
        go.countDown();
        for (Future<?> f : futures) {
          f.get(5, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
    }

    int newValue(String body) {
      int id = nextValue.getAndIncrement();
      values.put(body, id);
      return id;
    }

    /** Checks that a tag and a value always go together; returns false (and records why) if not. */
    boolean consistent(String tag, int value) {
      Integer before = valueOfTag.putIfAbsent(tag, value);
      String tagBefore = tagOfValue.putIfAbsent(value, tag);
      if (before != null && before != value || tagBefore != null && !tagBefore.equals(tag)) {
        violations.add("ETag " + tag + " seen for value " + value + " but also " + before + "/" + tagBefore);
        return false;
      }
      return true;
    }
  }

  /** One client: operations back to back, each with the last ETag it learned. */
  private static final class Client {
    private final History h;
    private final int id;
    private final Random random;
    private String tag; // the last ETag this client learned, and its value
    private int tagValue;
    private int seq;

    Client(History history, int id, Random random) {
      this.h = history;
      this.id = id;
      this.random = random;
    }

    void run(int ops) throws InterruptedException {
      for (int i = 0; i < ops; i++) {
        int roll = random.nextInt(100);
        if (tag == null) {
          // Without an ETag only reads, creates and unconditional writes make sense.
          if (roll < 60) {
            read(false);
          } else if (roll < 90) {
            write(Kind.CREATE);
          } else {
            write(Kind.WRITE);
          }
        } else if (roll < 35) {
          read(random.nextInt(3) == 0);
        } else if (roll < 75) {
          write(Kind.CAS);
        } else if (roll < 83) {
          write(Kind.CREATE);
        } else if (roll < 93) {
          write(Kind.DELETE);
        } else {
          write(Kind.WRITE);
        }
      }
    }

    private void learn(String t, int value) {
      if (h.consistent(t, value)) {
        tag = t;
        tagValue = value;
      }
    }

    private void read(boolean conditional) throws InterruptedException {
      String sent = conditional ? tag : null;
      int sentValue = tagValue;
      long invoked = System.nanoTime();
      HttpResponse<byte[]> r;
      try {
        r = conditional ? Http.get(h.uri, "If-None-Match", sent) : Http.get(h.uri);
      } catch (IOException e) {
        h.unknown.incrementAndGet();
        return; // a read that returned nothing constrains nothing
      }
      long completed = System.nanoTime();
      int status = r.statusCode();
      int value;
      if (status == 200) {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        Integer v = h.values.get(body);
        String t = header(r, "ETag");
        if (v == null || t == null) {
          h.violations.add("GET 200 with " + (v == null ? "a body nobody wrote: " + body : "no ETag"));
          return;
        }
        value = v;
        learn(t, value);
      } else if (status == 304 && conditional) {
        String t = header(r, "ETag");
        if (t != null && !t.equals(sent)) {
          h.violations.add("304 for If-None-Match " + sent + " with ETag " + t);
        }
        value = sentValue;
      } else if (status == 404) {
        value = ABSENT;
      } else if (status >= 500) {
        h.unknown.incrementAndGet();
        return;
      } else {
        h.violations.add("GET answered " + status);
        return;
      }
      h.ops.add(new Op(id, Kind.READ, 0, value, Result.OK, invoked, completed));
    }

    private void write(Kind kind) throws InterruptedException {
      String body = "h" + h.number + "-c" + id + "-" + seq++;
      int value = kind == Kind.DELETE ? 0 : h.newValue(body);
      int expect = kind == Kind.CAS || kind == Kind.DELETE ? tagValue : 0;
      // Each client carries its own session, as independent clients do: byte-identical writes
      // (two DELETEs of one version) from clients nothing tells apart are one request to HTTP, and
      // the guard would answer the second as a retry of the first (retryRecognition).
      String session = "client=h" + h.number + "-c" + id;
      String[] headers = switch (kind) {
        case CAS, DELETE -> new String[] {"If-Match", tag, "Cookie", session};
        case CREATE -> new String[] {"If-None-Match", "*", "Cookie", session};
        default -> new String[] {"Cookie", session};
      };
      long invoked = System.nanoTime();
      HttpResponse<byte[]> r;
      try {
        r = kind == Kind.DELETE ? Http.delete(h.writeUri, headers) : Http.put(h.writeUri, body, headers);
      } catch (IOException e) {
        h.unknown.incrementAndGet();
        h.ops.add(new Op(id, kind, expect, value, Result.UNKNOWN, invoked, System.nanoTime()));
        return;
      }
      long completed = System.nanoTime();
      int status = r.statusCode();
      Result result;
      if (status == 412) {
        result = Result.FAILED;
        String current = header(r, "ETag");
        Integer v = current == null ? null : h.valueOfTag.get(current);
        if (v != null) {
          learn(current, v);
        }
      } else if (status >= 500) {
        result = Result.UNKNOWN;
        h.unknown.incrementAndGet();
      } else if (status == 201 || status == 204 || status == 200) {
        result = Result.OK;
        if (kind == Kind.CREATE && status != 201) {
          h.violations.add("If-None-Match: * replaced an existing value (" + status + ")");
        }
        if (kind == Kind.CAS && status == 201) {
          h.violations.add("If-Match: " + tag + " created the resource");
        }
        String t = header(r, "ETag");
        if (t != null && kind != Kind.DELETE) {
          learn(t, value);
        } else {
          tag = null;
        }
      } else {
        h.violations.add(kind + " answered " + status);
        return;
      }
      h.ops.add(new Op(id, kind, expect, value, result, invoked, completed));
    }
  }
}
