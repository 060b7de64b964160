package dev.etagguard;

import dev.etagguard.settings.GuardSettings;

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

    @Override
    public void onNotModified(ResourceKey key, String method, long bytesNotSent) {
      events.add("BYTES_NOT_SENT " + method + " " + key + " " + bytesNotSent);
    }

    @Override
    public void onLostUpdatePrevented(ResourceKey key, String method) {
      events.add("LOST_UPDATE_PREVENTED " + method + " " + key);
    }
  };

  private static ResponseView response(int status, String etag) {
    return new ResponseView() {
      @Override
      public int status() {
        return status;
      }

      @Override
      public @Nullable String header(String name) {
        return "ETag".equals(name) ? etag : null;
      }
    };
  }

  /** A request with these fields (one line each) and no query; also for the engine's other tests here. */
  static RequestView request(String method, String path, Map<String, String> headers) {
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
    assertThat(events).containsExactly("NOT_MODIFIED GET /a", "BYTES_NOT_SENT GET /a -1");
  }

  @Test
  void theGuardsOwn304ReportsTheBytesItSaved() {
    GuardEngine engine = GuardEngine.builder(GuardSettings.DEFAULTS).listener(recorder).build();
    Admission get = engine.admit(request("GET", "/a", Map.of("If-None-Match", "\"v\"")));
    assertThat(get.completeRead(response(200, "\"v\""), null, 1234).action()).isEqualTo(ReadDecision.Action.NOT_MODIFIED);
    Admission head = engine.admit(request("HEAD", "/a", Map.of("If-None-Match", "\"v\"")));
    assertThat(head.completeRead(response(200, "\"v\""), null, 1234).action()).isEqualTo(ReadDecision.Action.NOT_MODIFIED);
    Admission fresh = engine.admit(request("GET", "/a", Map.of("If-None-Match", "\"old\"")));
    assertThat(fresh.completeRead(response(200, "\"v\""), null, 1234).action()).isEqualTo(ReadDecision.Action.FULL);
    assertThat(events).containsExactly("NOT_MODIFIED GET /a", "BYTES_NOT_SENT GET /a 1234",
        "NOT_MODIFIED HEAD /a", "BYTES_NOT_SENT HEAD /a 0", "SERVED GET /a");
  }

  @Test
  void aStaleWriteIsALostUpdatePreventedAStaleReadIsNot() {
    GuardEngine engine = GuardEngine.builder(GuardSettings.DEFAULTS).listener(recorder).build();
    engine.store().put(new ResourceKey("/doc"), dev.etagguard.http.Validators.of(
        dev.etagguard.http.EntityTag.strong("v2"), null));
    try (Admission write = engine.admit(request("PUT", "/doc", Map.of("If-Match", "\"v1\"")))) {
      write.acquire().join();
      // A precondition that fails on the stored validators is confirmed through the application first.
      assertThat(write.needsCurrentState()).isTrue();
      write.learnCurrentState(response(200, "\"v2\""), null, 10);
      assertThat(write.needsCurrentState()).isFalse();
      assertThat(write.decide()).isNotNull().extracting(Answer::status).isEqualTo(412);
    }
    Admission read = engine.admit(request("GET", "/doc", Map.of("If-Match", "\"v1\"")));
    assertThat(read.completeRead(response(200, "\"v2\""), null, 10).action()).isEqualTo(ReadDecision.Action.REJECT);
    try (Admission current = engine.admit(request("PUT", "/doc", Map.of("If-Match", "\"v2\"")))) {
      current.acquire().join();
      assertThat(current.decide()).isNull();
    }
    assertThat(events).containsExactly("PRECONDITION_FAILED PUT /doc", "LOST_UPDATE_PREVENTED PUT /doc",
        "PRECONDITION_FAILED GET /doc");
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
