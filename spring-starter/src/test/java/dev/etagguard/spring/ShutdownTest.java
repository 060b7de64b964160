package dev.etagguard.spring;

import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.etagguard.testing.Threads;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * No thread outlives the application: the built-in sequencer's permit timer, started by a write
 * that waits for its permit, ends when the context closes.
 */
class ShutdownTest {

  private static Set<Thread> timers() {
    return Threads.alive("etag-guard-permit-timer");
  }

  @Test
  void thePermitTimerEndsWithTheContext() throws Exception {
    ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
        .properties("server.port=0", "server.address=127.0.0.1", TestApps.NO_SECURITY).run();
    Set<Thread> started;
    try {
      int port = ((WebServerApplicationContext) context).getWebServer().getPort();
      URI slow = URI.create("http://127.0.0.1:" + port + "/slow/a?millis=500");
      Set<Thread> before = timers();
      CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
        try {
          return put(slow, "1").statusCode();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(150);
      assertThat(put(URI.create("http://127.0.0.1:" + port + "/slow/a?millis=0"), "2").statusCode()).isEqualTo(204);
      assertThat(first.get(20, TimeUnit.SECONDS)).isEqualTo(204);
      started = timers();
      started.removeAll(before);
      assertThat(started).as("the waiting write started the timer").hasSize(1);
    } finally {
      context.close();
    }
    for (Thread t : started) {
      t.join(10_000);
      assertThat(t.isAlive()).as("%s after the context closed", t).isFalse();
    }
  }

  /** A write that takes its time. */
  @RestController
  static class Slow {
    @PutMapping("/slow/{id}")
    ResponseEntity<Void> put(@RequestParam long millis) throws InterruptedException {
      Thread.sleep(millis);
      return ResponseEntity.noContent().build();
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Slow.class)
  static class App {
  }
}
