package dev.etagguard.samples.wiki;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.samples.wiki.launcher.WikiServer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's story over real sockets, on every adapter: no update is ever lost. */
class BobAndMaryTest {

  @ParameterizedTest
  @ValueSource(strings = {WikiServer.TOMCAT, WikiServer.JETTY, WikiServer.TOMCAT_VALVE, WikiServer.JETTY_HANDLER})
  void marysStaleSaveIsRefusedWithAProblemBody(String adapter) throws Exception {
    try (WikiServer server = WikiServer.start(adapter, 0)) {
      URI article = URI.create("http://127.0.0.1:" + server.port() + "/articles/12");
      assertThat(put(article, "{\"title\":\"Hello\"}", "If-None-Match", "*").statusCode()).isEqualTo(201);

      HttpResponse<byte[]> bobReads = get(article);
      HttpResponse<byte[]> maryReads = get(article);
      String etag = header(bobReads, "ETag");
      assertThat(etag).isNotNull().isEqualTo(header(maryReads, "ETag"));

      HttpResponse<byte[]> bobSaves = put(article, "{\"title\":\"Bob's\"}", "If-Match", etag);
      assertThat(bobSaves.statusCode()).isEqualTo(204);
      HttpResponse<byte[]> marySaves = put(article, "{\"title\":\"Mary's\"}", "If-Match", etag);
      assertThat(marySaves.statusCode()).isEqualTo(412);
      assertThat(header(marySaves, "Content-Type")).startsWith("application/problem+json");
      assertThat(text(marySaves)).contains("\"status\":412").contains("/articles/12");
      assertThat(header(marySaves, "ETag")).isNotEqualTo(etag);
      assertThat(text(get(article))).isEqualTo("{\"title\":\"Bob's\"}");

      // Mary re-reads and reapplies her change on Bob's version.
      HttpResponse<byte[]> again = get(article);
      assertThat(put(article, "{\"title\":\"Bob's and Mary's\"}", "If-Match", header(again, "ETag")).statusCode())
          .isEqualTo(204);
      HttpResponse<byte[]> conditional = get(article, "If-None-Match", header(again, "ETag"));
      assertThat(conditional.statusCode()).isEqualTo(200);
      HttpResponse<byte[]> unchanged = get(article, "If-None-Match", header(conditional, "ETag"));
      assertThat(unchanged.statusCode()).isEqualTo(304);
      assertThat(unchanged.body()).isEmpty();
      assertThat(put(article, "{\"title\":\"Eve\"}").statusCode()).isEqualTo(428);
    }
  }

  /**
   * 32 clients increment one counter with read-modify-write cycles, If-Match and retry on 412.
   * Every successful write must be reflected in the final value, and no If-Match value may win
   * twice.
   */
  @ParameterizedTest
  @ValueSource(strings = {WikiServer.TOMCAT, WikiServer.JETTY, WikiServer.TOMCAT_VALVE, WikiServer.JETTY_HANDLER})
  void thirtyTwoClientsLoseNoUpdate(String adapter) throws Exception {
    int clients = 32;
    int incrementsEach = 10;
    try (WikiServer server = WikiServer.start(adapter, 0)) {
      URI counter = URI.create("http://127.0.0.1:" + server.port() + "/articles/counter");
      assertThat(put(counter, "0", "If-None-Match", "*").statusCode()).isEqualTo(201);
      AtomicInteger successes = new AtomicInteger();
      AtomicInteger conflicts = new AtomicInteger();
      Set<String> winningTags = ConcurrentHashMap.newKeySet();
      List<String> doubleWins = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          futures.add(pool.submit(() -> {
            int done = 0;
            while (done < incrementsEach) {
              HttpResponse<byte[]> read = get(counter);
              assertThat(read.statusCode()).isEqualTo(200);
              String tag = header(read, "ETag");
              int value = Integer.parseInt(text(read));
              HttpResponse<byte[]> write = put(counter, Integer.toString(value + 1), "If-Match", tag);
              if (write.statusCode() == 204) {
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
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(doubleWins).as("If-Match values that won twice").isEmpty();
      assertThat(successes.get()).isEqualTo(clients * incrementsEach);
      assertThat(text(get(counter))).as("final value after %d successes and %d refused stale writes",
          successes.get(), conflicts.get()).isEqualTo(Integer.toString(clients * incrementsEach));
      assertThat(new HashSet<>(winningTags)).hasSize(clients * incrementsEach);
    }
  }
}
