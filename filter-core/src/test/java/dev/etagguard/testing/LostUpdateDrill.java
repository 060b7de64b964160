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
    assertThat(put(counter, "0", "If-None-Match", "*").statusCode()).as("creating the counter").isEqualTo(201);
    AtomicInteger successes = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    Set<String> winningTags = ConcurrentHashMap.newKeySet();
    List<String> doubleWins = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        // Independent clients carry their own session: byte-identical requests without anything
        // that tells their senders apart would be one request to HTTP (PUT is idempotent), and the
        // guard answers a repeat of a write that succeeded as that write (retryRecognition).
        String session = "drill-client=" + c;
        futures.add(pool.submit(() -> {
          for (int done = 0; done < incrementsEach; ) {
            HttpResponse<byte[]> read = get(counter);
            assertThat(read.statusCode()).isEqualTo(200);
            String tag = header(read, "ETag");
            assertThat(tag).as("every read carries the validator").isNotNull();
            int value = Integer.parseInt(text(read));
            HttpResponse<byte[]> write = put(counter, Integer.toString(value + 1), "If-Match", tag, "Cookie", session);
            if (write.statusCode() == 200 || write.statusCode() == 204) {
              successes.incrementAndGet();
              if (!winningTags.add(tag)) {
                synchronized (doubleWins) {
                  doubleWins.add(tag);
                }
              }
              done++;
            } else {
              assertThat(write.statusCode()).as("a losing write is refused, never anything else").isEqualTo(412);
              conflicts.incrementAndGet();
            }
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
    int expected = clients * incrementsEach;
    assertThat(doubleWins).as("If-Match values that won twice").isEmpty();
    assertThat(successes.get()).isEqualTo(expected);
    assertThat(text(get(counter))).as("final value after %d successes and %d refused stale writes",
        successes.get(), conflicts.get()).isEqualTo(Integer.toString(expected));
    return new Result(successes.get(), conflicts.get());
  }
}
