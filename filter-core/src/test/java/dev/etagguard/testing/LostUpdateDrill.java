package dev.etagguard.testing;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lost-update drill every adapter runs: clients increment one counter with read-modify-write
 * cycles over real sockets, each write carrying {@code If-Match} with the ETag its read saw, and
 * retry on 412. Every successful write must be reflected in the final value, a losing write must
 * be refused with 412 and nothing else, and no If-Match value may win twice.
 */
public final class LostUpdateDrill {

  /**
   * What a run did.
   *
   * @param successes writes that were applied
   * @param conflicts stale writes refused with 412 (and retried)
   */
  public record Result(int successes, int conflicts) {
  }

  private LostUpdateDrill() {
  }

  /**
   * Creates the counter at {@code counter} with {@code If-None-Match: *} and runs the drill.
   *
   * @param counter a resource the guard orders writes for (201 on create, 200 or 204 on replace)
   * @param clients concurrent clients
   * @param incrementsEach successful increments each client makes
   */
  public static Result run(URI counter, int clients, int incrementsEach) throws Exception {
    Report r = across(List.of(counter)).clients(clients).incrementsEach(incrementsEach).run();
    return new Result(r.successes(), r.preconditionFailed());
  }

  /**
   * A drill over several instances serving the same counter (one URI each, same path): each cycle
   * reads from one instance and writes to the next, so every write crosses instances.
   */
  public static Across across(List<URI> counters) {
    return new Across(counters);
  }

  /**
   * What a drill over several instances did.
   *
   * @param cycles read-modify-write attempts
   * @param successes acknowledged writes (200 or 204)
   * @param preconditionFailed stale writes refused with 412
   * @param conflicts writes refused with 409 (a fenced write whose turn was lost)
   * @param unavailable answers 503 (engine outage), reads and writes
   * @param unconfirmed 503 answers to writes that ran but could not be recorded
   * @param finalValue the counter's value at the end
   * @param lostUpdates acknowledged writes whose increment is missing from the final value
   * @param writeNanos the client-side latency of each write that got an answer
   */
  public record Report(int cycles, int successes, int preconditionFailed, int conflicts, int unavailable,
      int unconfirmed, int finalValue, int lostUpdates, long[] writeNanos) {

    /** The {@code p}-th percentile (0-100) of the write latency in milliseconds. */
    public double writeMillis(double p) {
      long[] sorted = writeNanos.clone();
      java.util.Arrays.sort(sorted);
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
      return sorted[i] / 1e6;
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT,
          "cycles=%d acknowledged=%d lost=%d 412=%d 409=%d 503=%d (unconfirmed writes %d) final=%d "
              + "write p50=%.2fms p99=%.2fms", cycles, successes, lostUpdates, preconditionFailed, conflicts,
          unavailable, unconfirmed, finalValue, writeMillis(50), writeMillis(99));
    }
  }

  /** A configurable drill over several instances. */
  public static final class Across {
    private final List<URI> counters;
    private int clients = 8;
    private int incrementsEach = 10;
    private boolean tolerateOutage;
    private Runnable midRun;

    private Across(List<URI> counters) {
      this.counters = List.copyOf(counters);
    }

    /** Concurrent clients; default 8. */
    public Across clients(int clients) {
      this.clients = clients;
      return this;
    }

    /** Acknowledged increments each client makes; default 10. */
    public Across incrementsEach(int incrementsEach) {
      this.incrementsEach = incrementsEach;
      return this;
    }

    /**
     * Whether an engine outage is expected during the run: 503 answers are retried, and 409
     * (a write whose lease the restarted engine forgot) counted.
     */
    public Across tolerateOutage(boolean tolerateOutage) {
      this.tolerateOutage = tolerateOutage;
      return this;
    }

    /** A task started on its own thread once half the increments are acknowledged. */
    public Across midRun(Runnable midRun) {
      this.midRun = midRun;
      return this;
    }

    /**
     * Creates the counter (on the first instance) and runs the drill; asserts that no
     * acknowledged write is lost, no If-Match value wins twice, and every refusal is one the
     * guard may give.
     */
    public Report run() throws Exception {
      assertThat(put(counters.get(0), "0", "If-None-Match", "*").statusCode()).as("creating the counter")
          .isEqualTo(201);
      int n = counters.size();
      int expected = clients * incrementsEach;
      AtomicInteger cycles = new AtomicInteger();
      AtomicInteger successes = new AtomicInteger();
      AtomicInteger preconditionFailed = new AtomicInteger();
      AtomicInteger conflicts = new AtomicInteger();
      AtomicInteger unavailable = new AtomicInteger();
      AtomicInteger unconfirmed = new AtomicInteger();
      Set<String> winningTags = ConcurrentHashMap.newKeySet();
      Set<Integer> acknowledgedValues = ConcurrentHashMap.newKeySet();
      List<String> doubleWins = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.Queue<Long> latencies = new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicBoolean midRunStarted = new java.util.concurrent.atomic.AtomicBoolean();
      Thread[] midRunThread = new Thread[1];
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          int client = c;
          // Independent clients carry their own session: byte-identical requests without anything
          // that tells their senders apart would be one request to HTTP (PUT is idempotent), and the
          // guard answers a repeat of a write that succeeded as that write (retryRecognition).
          String session = "drill-client=" + c;
          futures.add(pool.submit(() -> {
            for (int done = 0, cycle = 0; done < incrementsEach; cycle++) {
              cycles.incrementAndGet();
              URI from = counters.get((client + cycle) % n);
              URI to = counters.get((client + cycle + 1) % n);
              HttpResponse<byte[]> read = get(from);
              if (tolerateOutage && read.statusCode() == 503) {
                unavailable.incrementAndGet();
                Thread.sleep(20);
                continue;
              }
              assertThat(read.statusCode()).as("read from %s", from).isEqualTo(200);
              String tag = header(read, "ETag");
              assertThat(tag).as("every read carries the validator: %s %s", read.headers().map(), text(read)).isNotNull();
              int value = Integer.parseInt(text(read));
              long start = System.nanoTime();
              HttpResponse<byte[]> write = put(to, Integer.toString(value + 1), "If-Match", tag, "Cookie", session);
              latencies.add(System.nanoTime() - start);
              int status = write.statusCode();
              if (status == 200 || status == 204) {
                successes.incrementAndGet();
                if (!winningTags.add(tag)) {
                  doubleWins.add(tag);
                }
                if (!acknowledgedValues.add(value + 1)) {
                  doubleWins.add("value " + (value + 1));
                }
                done++;
                if (midRun != null && successes.get() >= expected / 2 && midRunStarted.compareAndSet(false, true)) {
                  midRunThread[0] = new Thread(midRun, "drill-mid-run");
                  midRunThread[0].start();
                }
              } else if (status == 412) {
                preconditionFailed.incrementAndGet();
              } else if (status == 409 && tolerateOutage) {
                assertThat(text(write)).contains("/problems/write-conflict");
                conflicts.incrementAndGet();
              } else if (status == 503 && tolerateOutage) {
                unavailable.incrementAndGet();
                if (text(write).contains("/problems/write-unconfirmed")) {
                  unconfirmed.incrementAndGet();
                }
                Thread.sleep(20);
              } else {
                throw new AssertionError("A write got " + status + ": " + text(write));
              }
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get(180, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      if (midRunThread[0] != null) {
        midRunThread[0].join(60_000);
      }
      int finalValue = -1;
      for (URI counter : counters) {
        HttpResponse<byte[]> last = get(counter);
        assertThat(last.statusCode()).isEqualTo(200);
        int v = Integer.parseInt(text(last));
        assertThat(finalValue == -1 || finalValue == v).as("every instance serves the same value").isTrue();
        finalValue = v;
      }
      int maxAcknowledged = acknowledgedValues.stream().mapToInt(Integer::intValue).max().orElse(0);
      // Each acknowledged write wrote a distinct value (checked above); the counter only grows by
      // applied writes, so it holds at least every acknowledged one, and at most those plus the
      // writes whose outcome the guard could not confirm: 503 write-unconfirmed, and 409, which
      // says the write may not have been applied (its lease was lost while it ran).
      int lost = Math.max(0, successes.get() - finalValue) + Math.max(0, maxAcknowledged - finalValue);
      Report report = new Report(cycles.get(), successes.get(), preconditionFailed.get(), conflicts.get(),
          unavailable.get(), unconfirmed.get(), finalValue, lost,
          latencies.stream().mapToLong(Long::longValue).toArray());
      assertThat(doubleWins).as("If-Match values (or written values) that won twice").isEmpty();
      assertThat(successes.get()).isEqualTo(expected);
      assertThat(lost).as("lost updates: %s", report).isZero();
      assertThat(finalValue).as("final value after %s", report).isBetween(successes.get(),
          successes.get() + unconfirmed.get() + conflicts.get());
      return report;
    }
  }
}
