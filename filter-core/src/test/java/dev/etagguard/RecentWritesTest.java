package dev.etagguard;

import dev.etagguard.settings.GuardSettings;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.support.Builtins;

import org.junit.jupiter.api.Test;

/**
 * {@link RecentWrites} (option {@code retryRecognition}): a retry is recognized only when it is
 * the same request in everything the guard can see, on the state that write left.
 */
class RecentWritesTest {

  private static final EntityTagGenerator SHA = Builtins.sha256Generator();
  private static final List<String> CLIENT = List.of("Authorization", "Cookie", "X-User");

  /** A request: method, path, query and header fields (names in any case), over HTTP/1.1. */
  record Req(String method, String path, String query, Map<String, List<String>> fields, String protocol)
      implements RequestView {
    Req(String method, String path, String query, Map<String, List<String>> fields) {
      this(method, path, query, fields, "HTTP/1.1");
    }

    Req with(String name, String... values) {
      Map<String, List<String>> f = new LinkedHashMap<>(fields);
      f.put(name.toLowerCase(java.util.Locale.ROOT), List.of(values));
      return new Req(method, path, query, f, protocol);
    }

    Req over(String protocol) {
      return new Req(method, path, query, fields, protocol);
    }

    @Override
    public List<String> headers(String name) {
      return fields.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of());
    }
  }

  private static final Req BASE = new Req("PUT", "/x/5", "v=archived", Map.of("if-match", List.of("\"t\"")));

  private static String fingerprint(Req r) {
    return RecentWrites.fingerprint(r, RequestConditions.from(r::headers), CLIENT, SHA);
  }

  @Test
  void theFingerprintCoversEverythingButTheContent() {
    String base = fingerprint(BASE);
    assertThat(fingerprint(BASE)).isEqualTo(base);
    assertThat(fingerprint(BASE.with("X-Trace", "1"))).as("a field the guard does not look at").isEqualTo(base);
    List<Req> others = new ArrayList<>(List.of(
        new Req("PATCH", "/x/5", "v=archived", BASE.fields()),
        new Req("PUT", "/x/6", "v=archived", BASE.fields()),
        new Req("PUT", "/x/5", "v=published", BASE.fields()),
        new Req("PUT", "/x/5", null, BASE.fields()),
        new Req("PUT", "/x/5", "", BASE.fields()),
        new Req("PUT", "/x/5?v=archived", null, BASE.fields()),
        BASE.with("If-Match", "\"u\""),
        BASE.with("If-None-Match", "*"),
        BASE.with("If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
        BASE.with("Authorization", "Basic Ym9iOng="),
        BASE.with("Cookie", "s=1"),
        BASE.with("Cookie", "s=1", "t=2"),
        BASE.with("X-User", "mary"),
        BASE.with("X-User", "")));
    for (String field : RecentWrites.CONTENT_FIELDS) {
      others.add(BASE.with(field, "v"));
    }
    List<String> prints = new ArrayList<>();
    for (Req other : others) {
      String print = fingerprint(other);
      assertThat(print).as("%s", other).isNotEqualTo(base);
      assertThat(prints).as("%s", other).doesNotContain(print);
      prints.add(print);
    }
    Req mary = BASE.with("X-User", "mary");
    assertThat(RecentWrites.fingerprint(mary, RequestConditions.from(mary::headers), List.of(), SHA))
        .as("a field that is not a client field")
        .isEqualTo(RecentWrites.fingerprint(BASE, RequestConditions.from(BASE::headers), List.of(), SHA));
    // Values move between fields and parts without colliding.
    assertThat(fingerprint(new Req("PUT/", "x/5", "v=archived", BASE.fields())))
        .isNotEqualTo(fingerprint(new Req("PUT", "/x/5", "v=archived", BASE.fields())));
    assertThat(fingerprint(BASE.with("Cookie", "a", "b"))).isNotEqualTo(fingerprint(BASE.with("Cookie", "a\nb")));
    assertThat(fingerprint(BASE.with("Cookie", "a").with("X-User", "b")))
        .isNotEqualTo(fingerprint(BASE.with("Cookie", "a", "b")));
    assertThat(fingerprint(BASE.with("Content-Type", "a")))
        .isNotEqualTo(fingerprint(BASE.with("Content-Language", "a")));
  }

  @Test
  void aRetryRepeatsTheRequestTheContentAndFindsTheStateItLeft() {
    EntityTag left = EntityTag.strong("left");
    RecentWrites.Content content = new RecentWrites.Content(EntityTag.strong("c"), 3);
    RecentWrites.Write write = new RecentWrites.Write("fp", content, Validators.of(left, null), 204, Map.of());
    assertThat(write.repeatedBy("fp", content, Validators.of(left, null))).isTrue();
    assertThat(write.repeatedBy("fp", new RecentWrites.Content(EntityTag.strong("c"), 3), Validators.of(left, null)))
        .isTrue();
    assertThat(write.repeatedBy("other", content, Validators.of(left, null))).isFalse();
    assertThat(write.repeatedBy("fp", new RecentWrites.Content(EntityTag.strong("d"), 3), Validators.of(left, null)))
        .isFalse();
    assertThat(write.repeatedBy("fp", new RecentWrites.Content(EntityTag.strong("c"), 4), Validators.of(left, null)))
        .isFalse();
    assertThat(write.repeatedBy("fp", RecentWrites.Content.NONE, Validators.of(left, null))).isFalse();
    assertThat(write.repeatedBy("fp", content, Validators.of(EntityTag.strong("newer"), null))).isFalse();
    assertThat(write.repeatedBy("fp", content, Validators.ABSENT)).isFalse();

    RecentWrites.Write delete = new RecentWrites.Write("fp", RecentWrites.Content.NONE, Validators.ABSENT, 204, Map.of());
    assertThat(delete.repeatedBy("fp", RecentWrites.Content.NONE, Validators.ABSENT)).isTrue();
    assertThat(delete.repeatedBy("fp", RecentWrites.Content.NONE, Validators.of(left, null))).isFalse();
  }

  @Test
  void oneWritePerResourceUntilForgotten() {
    RecentWrites writes = new RecentWrites(10);
    ResourceKey a = new ResourceKey("/a");
    assertThat(writes.get(a)).isNull();
    RecentWrites.Write w = new RecentWrites.Write("fp", RecentWrites.Content.NONE, Validators.ABSENT, 204, Map.of());
    writes.record(a, w);
    assertThat(writes.get(a)).isSameAs(w);
    assertThat(writes.get(new ResourceKey("/b"))).isNull();
    writes.forget(a);
    assertThat(writes.get(a)).isNull();
    assertThat(RecentWrites.preconditions(RequestConditions.from(BASE::headers)))
        .isNotEqualTo(RecentWrites.preconditions(RequestConditions.NONE));
  }

  @Test
  void onlyHttp1SaysThatARequestWithoutLengthHasNoContent() {
    assertThat(GuardEngine.declaredLength(BASE)).isZero();
    assertThat(GuardEngine.declaredLength(BASE.with("Content-Length", "12"))).isEqualTo(12);
    assertThat(GuardEngine.declaredLength(BASE.with("Content-Length", "12", "12"))).isEqualTo(-1);
    assertThat(GuardEngine.declaredLength(BASE.with("Content-Length", "x"))).isEqualTo(-1);
    assertThat(GuardEngine.declaredLength(BASE.with("Transfer-Encoding", "chunked"))).isEqualTo(-1);
    assertThat(GuardEngine.declaredLength(BASE.over("HTTP/1.0"))).isZero();
    assertThat(GuardEngine.declaredLength(BASE.over("HTTP/2.0"))).as("h2 sends content without a length").isEqualTo(-1);
    assertThat(GuardEngine.declaredLength(BASE.over("HTTP/2.0").with("Content-Length", "3"))).isEqualTo(3);
    assertThat(GuardEngine.declaredLength(BASE.over(null))).as("a view that does not know").isEqualTo(-1);
  }

  /** An HTTP/2 write whose content a filter consumed before the guard looks empty: never a retry. */
  @Test
  void anHttp2WriteWithoutLengthIsNeverRecognized() throws Exception {
    GuardEngine engine = GuardEngine.create(GuardSettings.builder().retryRecognition(true).build());
    ResourceKey key = new ResourceKey("/x/5");
    engine.store().put(key, Validators.of(EntityTag.strong("t"), null));
    Req h2 = new Req("PUT", "/x/5", null, Map.of("if-match", List.of("\"t\"")), "HTTP/2.0");
    try (Admission first = engine.admit(h2)) {
      first.acquire().join();
      assertThat(first.decide(() -> java.io.InputStream.nullInputStream())).isNull();
      assertThat(first.completeWrite(status(204), null, 0)).isTrue();
      first.learnAfterWrite(status(200, "\"u\""), null, -1, null);
    }
    try (Admission second = engine.admit(h2)) {
      second.acquire().join();
      if (second.needsCurrentState()) {
        second.learnCurrentState(status(200, "\"u\""), null, -1);
      }
      Answer answer = second.decide(() -> java.io.InputStream.nullInputStream());
      assertThat(answer).isNotNull().extracting(Answer::status).isEqualTo(412);
    }
    try (Admission http1 = engine.admit(h2.over("HTTP/1.1"))) {
      http1.acquire().join();
      assertThat(http1.decide(null)).as("nothing recorded to recognize").isNotNull()
          .extracting(Answer::status).isEqualTo(412);
    }
  }

  private static dev.etagguard.spi.ResponseView status(int status) {
    return status(status, null);
  }

  private static dev.etagguard.spi.ResponseView status(int status, String etag) {
    return new dev.etagguard.spi.ResponseView() {
      @Override
      public int status() {
        return status;
      }

      @Override
      public String header(String name) {
        return "ETag".equals(name) ? etag : null;
      }
    };
  }
}
