package dev.etagguard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.HttpDates;
import dev.etagguard.testing.Http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared conformance cases (fixtures RS and RN) over HTTP, against any server with ETag
 * Guard in front of a resource handler. Each adapter's tests extend it and say where the guarded
 * (428 policy on) and unguarded resources live. Each row gets a fresh resource: RS is created
 * with {@code PUT If-None-Match: *}, its ETag and Last-Modified learned with a GET; RN is never
 * created. Rows of the 428 policy run on the guarded area, the others on the unguarded one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HttpConformanceSuite {

  private static final AtomicInteger IDS = new AtomicInteger();

  /** The server's base URI, without a trailing slash. */
  protected abstract URI base();

  /** The path prefix of resources whose writes must be conditional, e.g. {@code /articles/}. */
  protected abstract String guardedPrefix();

  /** The path prefix of resources without the 428 policy, e.g. {@code /drafts/}. */
  protected abstract String unguardedPrefix();

  /** The methods the handler implements on a single resource. */
  protected Set<String> handledMethods() {
    return Set.of("GET", "HEAD", "PUT", "DELETE", "POST");
  }

  /** The body of the fixture representation. */
  protected String fixtureBody() {
    return "{\"title\":\"conformance fixture\",\"body\":\"0123456789abcdefghijklmnopqrstuvwxyz\"}";
  }

  /** The rows this suite runs over HTTP. */
  static Stream<ConformanceCase> httpRows() {
    return ConformanceCases.where(ConformanceCases.fixtures("RS", "RN"));
  }

  /** Why a row is not run against this application, or {@code null} to run it. */
  protected String skipReason(ConformanceCase c) {
    // A row that may be answered by the handler itself (a 2xx) needs a handler implementing the method.
    boolean handlerMayAnswer = c.acceptable().stream().anyMatch(s -> s >= 200 && s < 300);
    if (!handledMethods().contains(c.method()) && handlerMayAnswer) {
      return c.method() + " on a single resource is not implemented by this application";
    }
    return null;
  }

  @Test
  void everyRsAndRnRowIsRunOrSkippedWithAReason() {
    List<String> ids = new ArrayList<>();
    httpRows().forEach(c -> ids.add(c.id()));
    assertThat(ids).hasSizeGreaterThanOrEqualTo(60);
    List<String> skipped = new ArrayList<>();
    httpRows().filter(c -> skipReason(c) != null).forEach(c -> skipped.add(c.id() + ": " + skipReason(c)));
    // At most the rows whose answer only a handler that implements the method could give.
    assertThat(skipped).hasSizeLessThanOrEqualTo(5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("httpRows")
  void row(ConformanceCase c) throws Exception {
    String reason = skipReason(c);
    org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, () -> c.id() + " skipped: " + reason);
    String path = (c.policy() ? guardedPrefix() : unguardedPrefix()) + "conf-" + c.id().toLowerCase(Locale.ROOT)
        + "-" + IDS.incrementAndGet();
    URI uri = URI.create(base() + path);
    Fixture f = c.exists() ? create(uri) : Fixture.absent();

    if (c.stateful()) {
      // Rewrite the representation, then send the row's request with the old validators.
      HttpResponse<byte[]> rewrite = Http.put(uri, fixtureBody() + " rewritten", "If-Match", f.etag);
      assertThat(rewrite.statusCode()).as("rewrite for %s", c.id()).isBetween(200, 299);
    }
    byte[] body = c.body() == null ? null : c.body().getBytes(StandardCharsets.UTF_8);
    if (body == null && ("PUT".equals(c.method()) || "POST".equals(c.method()))) {
      body = "PUT_v2".getBytes(StandardCharsets.UTF_8);
    }
    HttpResponse<byte[]> r = Http.send(c.method(), uri, substitute(c.headers(), f), body);
    assertThat(r.statusCode()).as("%s %s %s: %s", c.id(), c.method(), c.headers(), c.notes())
        .isIn(c.acceptable());
    for (Map.Entry<String, String> e : c.expectHeaders().entrySet()) {
      if (e.getValue().equals("{current_etag}")) {
        assertThat(Http.header(r, e.getKey())).as("%s header %s", c.id(), e.getKey()).isEqualTo(f.etag);
      }
    }
    if (c.stateful() && r.statusCode() == 200) {
      assertThat(Http.header(r, "ETag")).as("%s: a new representation has a new ETag", c.id())
          .isNotNull().isNotEqualTo(f.etag);
    }
    if (r.statusCode() == 304) {
      assertThat(r.body()).as("%s: 304 has no body", c.id()).isEmpty();
      assertThat(Http.header(r, "ETag")).as("%s: 304 carries the ETag", c.id()).isEqualTo(f.etag);
    }
    if (r.statusCode() == 412 || r.statusCode() == 428) {
      assertThat(Http.header(r, "Content-Type")).as("%s: problem body", c.id()).startsWith("application/problem+json");
    }
  }

  private Fixture create(URI uri) throws Exception {
    HttpResponse<byte[]> created = Http.put(uri, fixtureBody(), "If-None-Match", "*");
    assertThat(created.statusCode()).as("creating the fixture %s", uri).isBetween(200, 299);
    HttpResponse<byte[]> got = Http.get(uri);
    assertThat(got.statusCode()).isEqualTo(200);
    String etag = Http.header(got, "ETag");
    String lm = Http.header(got, "Last-Modified");
    assertThat(etag).as("the fixture needs a strong ETag").isNotNull().doesNotStartWith("W/");
    assertThat(lm).as("the fixture needs a Last-Modified").isNotNull();
    return new Fixture(etag, HttpDates.parse(lm));
  }

  private static Map<String, List<String>> substitute(Map<String, List<String>> headers, Fixture f) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    headers.forEach((name, lines) -> {
      List<String> values = new ArrayList<>();
      for (String line : lines) {
        values.add(f.substitute(line));
      }
      out.put(name, values);
    });
    return out;
  }

  /** The fixture's validators and the placeholder values derived from them. */
  private record Fixture(String etag, Instant lm) {
    static Fixture absent() {
      return new Fixture("\"absent-resource\"", Instant.now().minusSeconds(7200));
    }

    String substitute(String value) {
      EntityTag tag = EntityTag.parse(etag);
      String strong = EntityTag.strong(tag.opaque()).toString();
      return value
          .replace("{current_etag}", etag)
          .replace("{etag_upper}", EntityTag.strong(tag.opaque().toUpperCase(Locale.ROOT)).toString())
          .replace("{other_weak_etag}", "W/\"other-tag-0000\"")
          .replace("{other_etag}", "\"other-tag-0000\"")
          .replace("{weak_etag}", "W/" + strong)
          .replace("{etag}", strong)
          .replace("{lm-1h}", HttpDates.format(lm.minusSeconds(3600)))
          .replace("{lm+1h}", HttpDates.format(lm.plusSeconds(3600)))
          .replace("{lm}", HttpDates.format(lm))
          .replace("{now+1d}", HttpDates.format(Instant.now().plusSeconds(86400)))
          .replace("{invalid_date}", "not-a-date");
    }
  }
}
