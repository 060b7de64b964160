package dev.etagguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ResponseView;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The listener hears every kind of decision, including pass-through and permits given up. */
class GuardListenerTest {

  private final List<String> events = new CopyOnWriteArrayList<>();
  private final GuardListener recorder = new GuardListener() {
    @Override
    public void onDecision(ResourceKey key, String method, Decision decision) {
      events.add(decision + " " + method + " " + key);
    }

    @Override
    public void onPermitUnavailable(ResourceKey key, long waitNanos) {
      events.add("UNAVAILABLE_AFTER_WAIT " + key + " " + (waitNanos >= 0));
    }
  };

  private static RequestView request(String method, String path, Map<String, String> headers) {
    return new RequestView() {
      @Override
      public String method() {
        return method;
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public @Nullable String query() {
        return null;
      }

      @Override
      public List<String> headers(String name) {
        String v = headers.get(name);
        return v == null ? List.of() : List.of(v);
      }
    };
  }

  @Test
  void passThroughIsReported() {
    GuardEngine engine = GuardEngine.builder(GuardSettings.builder().excludedPaths("/static/*").build())
        .listener(recorder).build();
    assertThat(engine.admit(request("GET", "/static/a.css", Map.of())).kind()).isEqualTo(Admission.Kind.PASS);
    assertThat(engine.admit(request("OPTIONS", "/x", Map.of())).kind()).isEqualTo(Admission.Kind.PASS);
    assertThat(events).containsExactly("PASSED_THROUGH GET /static/a.css", "PASSED_THROUGH OPTIONS /x");
  }

  @Test
  void aHandlersOwn304CountsAsNotModified() {
    GuardEngine engine = GuardEngine.builder(GuardSettings.DEFAULTS).listener(recorder).build();
    Admission a = engine.admit(request("GET", "/a", Map.of("If-None-Match", "\"v\"")));
    ResponseView handler304 = new ResponseView() {
      @Override
      public int status() {
        return 304;
      }

      @Override
      public @Nullable String header(String name) {
        return "ETag".equals(name) ? "\"v\"" : null;
      }
    };
    assertThat(a.completeRead(handler304, null, 0).action()).isEqualTo(ReadDecision.Action.PASS);
    assertThat(events).containsExactly("NOT_MODIFIED GET /a");
  }

  @Test
  void aPermitGivenUpIsReportedWithItsWait() {
    GuardEngine engine = GuardEngine.builder(GuardSettings.builder().maxWaitersPerKey(0)
        .permitTimeout(Duration.ofSeconds(5)).build()).listener(recorder).build();
    Admission holder = engine.admit(request("PUT", "/k", Map.of()));
    holder.acquire().join();
    Admission second = engine.admit(request("PUT", "/k", Map.of()));
    try {
      second.acquire().join();
      throw new AssertionError("the queue is full: the second write must not get the permit");
    } catch (CompletionException expected) {
      Answer answer = second.unavailable(expected);
      assertThat(answer.status()).isEqualTo(503);
      assertThat(answer.headers()).containsKey("Retry-After");
    } finally {
      second.close();
      holder.close();
    }
    assertThat(events).containsExactly("UNAVAILABLE_AFTER_WAIT /k true", "UNAVAILABLE PUT /k");
    assertThat(engine.sequencer().heldPermits()).isZero();
  }
}
