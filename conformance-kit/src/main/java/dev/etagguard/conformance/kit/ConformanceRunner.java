package dev.etagguard.conformance.kit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import dev.etagguard.conformance.kit.CheckResult.Verdict;

import org.jspecify.annotations.Nullable;

/**
 * Runs the kit's checks over HTTP against a writable collection of some server: the HTTP rows of
 * the conformance cases ({@link ConformanceCases#httpRows()}), a lost-update check and a
 * hostile-header check. The project's own tests and the command line ({@link ConformanceKit}) both
 * run through it, so there is one implementation of each check.
 *
 * <p>Every check works on resources of its own, named {@code egc-<run>-<check>-<n>} under the
 * collection, created with {@code PUT If-None-Match: *}; {@link #close()} deletes them again (with
 * {@code If-Match}). A row whose method the target does not offer (it answers 405 or 501) is
 * skipped with that reason, since RFC 9110 13.2.1 lets a server ignore preconditions then; skips
 * never count as passes.
 *
 * <p>Where the collection's writes must be conditional (the 428 policy, RFC 6585 section 3; the
 * default), the policy rows run on it, and rows that write without a precondition need a second
 * collection without that policy ({@code open}), else they are skipped. With {@code policy=false}
 * the policy rows are skipped instead.
 *
 * <p>Thread-safe for the lost-update check's own clients; meant to be used by one caller at a time.
 *
 * @since 0.1
 */
public final class ConformanceRunner implements AutoCloseable {

  /** The body of the fixture representation the rows run against. */
  public static final String FIXTURE_BODY =
      "{\"title\":\"conformance fixture\",\"body\":\"0123456789abcdefghijklmnopqrstuvwxyz\"}";

  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  private final URI collection;
  private final @Nullable URI open;
  private final boolean policy;
  private final Duration timeout;
  private final HttpClient client;
  private final String run = Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36);
  private final AtomicInteger names = new AtomicInteger();
  private final Set<URI> touched = ConcurrentHashMap.newKeySet();

  /**
   * A runner against {@code collection}.
   *
   * @param collection the writable collection, e.g. {@code http://host:8080/articles/} (a trailing
   *     slash is added when missing)
   * @param open a second collection whose writes need no precondition, or {@code null}
   * @param policy whether {@code collection} requires writes to be conditional (428)
   * @param timeout the longest one request may take
   */
  public ConformanceRunner(URI collection, @Nullable URI open, boolean policy, Duration timeout) {
    this.collection = asCollection(collection);
    this.open = open == null ? null : asCollection(open);
    this.policy = policy;
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  private static URI asCollection(URI uri) {
    String s = uri.toString();
    return s.endsWith("/") ? uri : URI.create(s + "/");
  }

  /** The collection the policy rows, the lost-update and the hostile-header checks run on. */
  public URI collection() {
    return collection;
  }

  /** The collection without the 428 policy, or {@code null}. */
  public @Nullable URI open() {
    return open;
  }

  /** Whether the collection requires writes to be conditional. */
  public boolean policy() {
    return policy;
  }

  // ------------------------------------------------------------------ rows

  /** Every HTTP row of the conformance cases, in file order. */
  public List<CheckResult> rows() throws InterruptedException {
    List<CheckResult> results = new ArrayList<>();
    for (ConformanceCase c : ConformanceCases.httpRows()) {
      results.add(row(c));
    }
    return results;
  }

  /**
   * Runs one row: creates its fixture (fixture RS) or not (RN), for a STATEFUL row rewrites it, sends
   * the row's request with the placeholders substituted, and checks the answer: a status among the
   * row's acceptable ones, the expected headers, a 304 without body and with the fixture's ETag, a
   * new ETag after a rewrite, and a 412 or 428 with an RFC 9457 problem body.
   */
  public CheckResult row(ConformanceCase c) throws InterruptedException {
    String expected = c.acceptable().stream().map(String::valueOf).collect(Collectors.joining("|"));
    String skip = skipReason(c);
    if (skip != null) {
      return new CheckResult(c.id(), Verdict.SKIP, expected, "-", c.request(), skip);
    }
    URI uri = resource(c.policy() || open == null ? collection : open, c.id());
    try {
      Fixture f = c.exists() ? create(uri, FIXTURE_BODY) : Fixture.absent();
      if (c.stateful()) {
        Response rewrite = send("PUT", uri, Map.of("If-Match", List.of(f.etag)),
            (FIXTURE_BODY + " rewritten").getBytes(StandardCharsets.UTF_8));
        if (!rewrite.success()) {
          return new CheckResult(c.id(), Verdict.FAIL, expected, "-", c.request(),
              "rewriting the fixture with If-Match: " + f.etag + " answered " + rewrite.status);
        }
      }
      byte[] body = c.body() == null ? null : c.body().getBytes(StandardCharsets.UTF_8);
      if (body == null && ("PUT".equals(c.method()) || "POST".equals(c.method()))) {
        body = "PUT_v2".getBytes(StandardCharsets.UTF_8);
      }
      Response r = send(c.method(), uri, substitute(c.headers(), f), body);
      String got = Integer.toString(r.status);
      if (r.status == 405 || r.status == 501) {
        return new CheckResult(c.id(), Verdict.SKIP, expected, got, c.request(),
            "the target does not offer " + c.method() + " on a single resource (" + r.status
                + r.header("Allow").map(a -> ", Allow: " + a).orElse("") + ")");
      }
      List<String> problems = new ArrayList<>();
      if (!c.acceptable().contains(r.status)) {
        problems.add("expected " + expected + (c.notes().isBlank() ? "" : " (" + c.notes() + ")"));
      }
      for (Map.Entry<String, String> e : c.expectHeaders().entrySet()) {
        if (e.getValue().equals("{current_etag}") && !r.header(e.getKey()).orElse("").equals(f.etag)) {
          problems.add(e.getKey() + " should be " + f.etag + ", was " + r.header(e.getKey()).orElse("absent"));
        }
      }
      if (c.stateful() && r.status == 200 && r.header("ETag").map(f.etag::equals).orElse(true)) {
        problems.add("a new representation needs a new ETag, got " + r.header("ETag").orElse("none"));
      }
      if (r.status == 304) {
        if (r.body.length > 0) {
          problems.add("a 304 has no body, this one had " + r.body.length + " bytes");
        }
        if (!r.header("ETag").orElse("").equals(f.etag)) {
          problems.add("a 304 carries the ETag " + f.etag + ", this one " + r.header("ETag").orElse("none"));
        }
      }
      if ((r.status == 412 || r.status == 428) && !r.header("Content-Type").orElse("").startsWith("application/problem+json")) {
        problems.add("a " + r.status + " needs an application/problem+json body (RFC 9457), got "
            + r.header("Content-Type").orElse("no Content-Type"));
      }
      return new CheckResult(c.id(), problems.isEmpty() ? Verdict.PASS : Verdict.FAIL, expected, got, c.request(),
          String.join("; ", problems));
    } catch (FixtureException e) {
      return new CheckResult(c.id(), Verdict.FAIL, expected, "-", c.request(), e.getMessage());
    } catch (IOException e) {
      return new CheckResult(c.id(), Verdict.FAIL, expected, "-", c.request(), "request failed: " + e);
    }
  }

  /** Why a row is not run against this target, or {@code null} to run it. */
  @Nullable String skipReason(ConformanceCase c) {
    if (c.policy() && !policy) {
      return "a 428-policy row, and the collection does not require conditional writes (--no-policy)";
    }
    if (!c.policy() && policy && open == null && unconditionalWrite(c)) {
      return "writes without a precondition, which the collection refuses (428 policy); "
          + "give --open=URL, a collection without that policy, to run it";
    }
    return null;
  }

  /** A write that carries none of If-Match, If-None-Match or a valid If-Unmodified-Since. */
  static boolean unconditionalWrite(ConformanceCase c) {
    if (Set.of("GET", "HEAD", "OPTIONS", "TRACE").contains(c.method())) {
      return false;
    }
    List<String> ius = c.headers().getOrDefault("If-Unmodified-Since", List.of());
    boolean validIus = !ius.isEmpty() && ius.stream().noneMatch(v -> v.contains("{invalid_date}"));
    return !c.headers().containsKey("If-Match") && !c.headers().containsKey("If-None-Match") && !validIus;
  }

  // ------------------------------------------------------------------ lost update

  /**
   * The lost-update check: {@code clients} concurrent clients each make {@code incrementsEach}
   * read-modify-write increments of one counter, every write carrying {@code If-Match} with the
   * ETag its read saw, retrying on 412. It passes when every read carried an ETag, every write was
   * applied (2xx) or refused with 412, and the final value counts every applied write: no update
   * lost. A read without an ETag is followed by an unconditional write, as a naive client would.
   *
   * @param deadline the longest the whole check may take
   */
  public CheckResult lostUpdate(int clients, int incrementsEach, Duration deadline) throws InterruptedException {
    String check = clients + " clients x " + incrementsEach + " increments, GET then PUT If-Match, 412 -> retry";
    String expected = "0 lost";
    URI counter = resource(collection, "lu");
    try {
      put(counter, "0");
    } catch (IOException e) {
      return new CheckResult("LU", Verdict.FAIL, expected, "-", check, e.getMessage());
    }
    AtomicInteger applied = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger untagged = new AtomicInteger();
    List<String> errors = new ArrayList<>();
    long end = System.nanoTime() + deadline.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(clients, r -> {
      Thread t = new Thread(r, "conformance-lost-update");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        // Each client has a session of its own, as independent clients do: byte-identical requests
        // from clients nothing tells apart are one request to HTTP (PUT is idempotent).
        String session = "conformance-client=" + i;
        futures.add(pool.submit(() -> {
          for (int done = 0; done < incrementsEach; ) {
            if (System.nanoTime() > end) {
              throw new IllegalStateException("did not finish within " + deadline.toSeconds() + "s");
            }
            Response read = send("GET", counter, Map.of(), null);
            if (read.status != 200) {
              throw new IllegalStateException("a read answered " + read.status);
            }
            int value;
            try {
              value = Integer.parseInt(read.text().strip());
            } catch (NumberFormatException e) {
              throw new IllegalStateException("the counter does not read back as written: " + abbreviate(read.text()));
            }
            String tag = read.header("ETag").orElse(null);
            if (tag == null) {
              untagged.incrementAndGet();
            }
            Response write = send("PUT", counter, tag == null ? Map.of("Cookie", List.of(session))
                : Map.of("If-Match", List.of(tag), "Cookie", List.of(session)),
                Integer.toString(value + 1).getBytes(StandardCharsets.UTF_8));
            if (write.success()) {
              applied.incrementAndGet();
              done++;
            } else if (write.status == 412) {
              refused.incrementAndGet();
            } else {
              throw new IllegalStateException("a write answered " + write.status + ", neither 2xx nor 412");
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get(Math.max(1, end - System.nanoTime()) + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          errors.add(cause instanceof IllegalStateException ? String.valueOf(cause.getMessage()) : String.valueOf(cause));
        } catch (TimeoutException e) {
          errors.add("did not finish within " + deadline.toSeconds() + "s");
          break;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    int finalValue = -1;
    try {
      Response last = send("GET", counter, Map.of(), null);
      finalValue = Integer.parseInt(last.text().strip());
    } catch (IOException | NumberFormatException e) {
      errors.add("the final read failed: " + e);
    }
    int lost = Math.max(0, applied.get() - finalValue);
    List<String> problems = new ArrayList<>(errors.stream().distinct().toList());
    if (untagged.get() > 0) {
      problems.add(untagged.get() + " reads carried no ETag, so their writes could not be conditional");
    }
    if (finalValue >= 0 && finalValue != applied.get()) {
      problems.add(applied.get() + " writes were acknowledged but the counter reads " + finalValue + ": "
          + lost + " lost");
    }
    String got = lost + " lost";
    String note = applied.get() + " applied, " + refused.get() + " refused with 412";
    return new CheckResult("LU", problems.isEmpty() ? Verdict.PASS : Verdict.FAIL, expected, got, check,
        problems.isEmpty() ? note : note + "; " + String.join("; ", problems));
  }

  // ------------------------------------------------------------------ hostile headers

  /** A hostile request: header lines with {@code %s} for the fixture's current ETag. */
  private record Hostile(String id, String method, String what, String... lines) {
  }

  /**
   * The hostile-header check: malformed conditional headers, sent byte for byte over a plain
   * socket. No answer may be a 5xx; a write (PUT) must never be applied: it must not be answered
   * 2xx and the resource must read back unchanged.
   */
  public List<CheckResult> hostileHeaders() throws InterruptedException {
    String junkList = String.join(", ", java.util.Collections.nCopies(2000, "\"no-such-tag\""));
    List<Hostile> checks = List.of(
        new Hostile("X01", "PUT", "If-Match without quotes", "If-Match: invalid-no-quotes"),
        new Hostile("X02", "PUT", "If-Match unterminated", "If-Match: \"unterminated"),
        new Hostile("X03", "PUT", "If-Match: W/ alone", "If-Match: W/"),
        new Hostile("X04", "PUT", "If-Match two tags without a comma", "If-Match: \"a\" \"b\""),
        new Hostile("X05", "PUT", "If-Match the current tag with junk after it", "If-Match: %sjunk"),
        new Hostile("X06", "PUT", "If-Match the current tag and a junk member", "If-Match: %s, junk"),
        new Hostile("X07", "PUT", "If-Match * beside the current tag", "If-Match: *, %s"),
        new Hostile("X08", "PUT", "If-Match the current tag, then a junk field line", "If-Match: %s", "If-Match: junk"),
        new Hostile("X09", "PUT", "If-Match with a control character", "If-Match: \"a\u0001b\""),
        new Hostile("X10", "PUT", "If-Match with a NUL", "If-Match: \"a\u0000\""),
        new Hostile("X11", "PUT", "If-Match with 2000 tags (30 KB)", "If-Match: " + junkList),
        new Hostile("X12", "PUT", "If-None-Match unterminated on an existing resource", "If-None-Match: \"unterminated"),
        new Hostile("X13", "PUT", "If-None-Match: **", "If-None-Match: **"),
        new Hostile("X14", "PUT", "If-Unmodified-Since not a date, nothing else", "If-Unmodified-Since: yesterday-ish"),
        new Hostile("X15", "GET", "If-None-Match unterminated", "If-None-Match: \"unterminated"),
        new Hostile("X16", "GET", "Range overflowing 64 bits", "Range: bytes=99999999999999999999-"),
        new Hostile("X17", "GET", "If-Range junk with a control character", "Range: bytes=0-10", "If-Range: ju\u0001nk"),
        new Hostile("X18", "GET", "If-Modified-Since out of range", "If-Modified-Since: Sat, 99 Foo 9999 99:99:99 GMT"),
        new Hostile("X19", "GET", "If-Match with a NUL", "If-Match: \"\u0000\""),
        new Hostile("X20", "HEAD", "If-None-Match with 2000 tags", "If-None-Match: " + junkList));
    List<CheckResult> results = new ArrayList<>();
    URI uri = resource(collection, "hostile");
    try {
      put(uri, FIXTURE_BODY);
    } catch (IOException e) {
      for (Hostile h : checks) {
        results.add(new CheckResult(h.id, Verdict.FAIL, expected(h), "-", h.method + " " + h.what, e.getMessage()));
      }
      return results;
    }
    for (Hostile h : checks) {
      results.add(hostile(h, uri));
    }
    return results;
  }

  private static String expected(Hostile h) {
    return "PUT".equals(h.method) ? "4xx" : "not 5xx";
  }

  private CheckResult hostile(Hostile h, URI uri) throws InterruptedException {
    String check = h.method + " " + h.what;
    if ("X14".equals(h.id) && !policy) {
      return new CheckResult(h.id, Verdict.SKIP, expected(h), "-", check, "without the 428 policy an invalid "
          + "If-Unmodified-Since is ignored (RFC 9110 13.1.4) and the write may proceed");
    }
    try {
      Response before = send("GET", uri, Map.of(), null);
      String tag = before.header("ETag").orElse("\"none\"");
      String[] lines = Arrays.stream(h.lines).map(l -> l.replace("%s", tag)).toArray(String[]::new);
      boolean write = "PUT".equals(h.method);
      byte[] body = write ? ("hostile write " + h.id).getBytes(StandardCharsets.UTF_8) : new byte[0];
      int status = RawHttp.send(h.method, uri, lines, body, timeout);
      String got = status < 0 ? "closed" : Integer.toString(status);
      List<String> problems = new ArrayList<>();
      if (status >= 500) {
        problems.add("a server error for a client's malformed header");
      }
      if (write) {
        if (status >= 200 && status < 300) {
          problems.add("a malformed precondition authorized the write");
        }
        Response after = send("GET", uri, Map.of(), null);
        if (!Arrays.equals(before.body, after.body)) {
          problems.add("the resource changed: the write was applied");
        }
      }
      return new CheckResult(h.id, problems.isEmpty() ? Verdict.PASS : Verdict.FAIL, expected(h), got, check,
          String.join("; ", problems));
    } catch (IOException e) {
      return new CheckResult(h.id, Verdict.FAIL, expected(h), "-", check, "request failed: " + e);
    }
  }

  // ------------------------------------------------------------------ fixtures and HTTP

  /** Deletes the resources the checks created (best effort, conditional where the target wants it). */
  @Override
  public void close() {
    for (URI uri : touched) {
      try {
        Response r = send("GET", uri, Map.of(), null);
        if (r.status == 404 || r.status == 410) {
          continue;
        }
        String tag = r.header("ETag").orElse("*");
        send("DELETE", uri, Map.of("If-Match", List.of(tag)), null);
      } catch (IOException e) {
        // Best effort: a resource left behind is named after this run.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    touched.clear();
  }

  private URI resource(URI base, String check) {
    URI uri = base.resolve("egc-" + run + "-" + check.toLowerCase(Locale.ROOT) + "-" + names.incrementAndGet());
    touched.add(uri);
    return uri;
  }

  /** Creates a resource with {@code PUT If-None-Match: *}. */
  private void put(URI uri, String body) throws IOException, InterruptedException {
    Response created = send("PUT", uri, Map.of("If-None-Match", List.of("*")), body.getBytes(StandardCharsets.UTF_8));
    if (!created.success()) {
      throw new FixtureException("creating " + uri.getPath() + " with PUT If-None-Match: * answered " + created.status
          + " (the collection must accept PUT of new resources)");
    }
  }

  /** Creates a resource with {@code PUT If-None-Match: *} and learns its validators with a GET. */
  private Fixture create(URI uri, String body) throws IOException, InterruptedException {
    put(uri, body);
    Response got = send("GET", uri, Map.of(), null);
    if (got.status != 200) {
      throw new FixtureException("reading the new fixture answered " + got.status);
    }
    String etag = got.header("ETag").orElse(null);
    if (etag == null || etag.startsWith("W/")) {
      throw new FixtureException("the fixture needs a strong ETag; a GET gave " + (etag == null ? "none" : etag));
    }
    String lm = got.header("Last-Modified").orElse(null);
    Instant date;
    try {
      date = lm == null ? null : Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(lm));
    } catch (DateTimeParseException e) {
      date = null;
    }
    if (date == null) {
      throw new FixtureException("the fixture needs a Last-Modified date; a GET gave " + (lm == null ? "none" : lm));
    }
    return new Fixture(etag, date);
  }

  private Response send(String method, URI uri, Map<String, List<String>> headers, byte @Nullable [] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout);
    headers.forEach((name, lines) -> lines.forEach(line -> b.header(name, line)));
    HttpRequest.BodyPublisher publisher = body == null
        ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(body);
    HttpResponse<byte[]> r = client.send(b.method(method, publisher).build(), HttpResponse.BodyHandlers.ofByteArray());
    return new Response(r.statusCode(), r.headers(), r.body());
  }

  private static Map<String, List<String>> substitute(Map<String, List<String>> headers, Fixture f) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    headers.forEach((name, lines) -> out.put(name, lines.stream().map(f::substitute).toList()));
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  /** One response, its body read whole. */
  private record Response(int status, HttpHeaders headers, byte[] body) {
    boolean success() {
      return status >= 200 && status < 300;
    }

    java.util.Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** A fixture could not be set up: the row fails with this message. */
  private static final class FixtureException extends IOException {
    private static final long serialVersionUID = 1L;

    FixtureException(String message) {
      super(message);
    }
  }

  /** The fixture's validators and the placeholder values derived from them (see the cases' README). */
  private record Fixture(String etag, Instant lm) {
    static Fixture absent() {
      return new Fixture("\"absent-resource\"", Instant.now().minusSeconds(7200));
    }

    String substitute(String value) {
      String opaque = etag.substring(etag.indexOf('"') + 1, etag.lastIndexOf('"'));
      String strong = '"' + opaque + '"';
      return value
          .replace("{current_etag}", etag)
          .replace("{etag_upper}", '"' + opaque.toUpperCase(Locale.ROOT) + '"')
          .replace("{other_weak_etag}", "W/\"other-tag-0000\"")
          .replace("{other_etag}", "\"other-tag-0000\"")
          .replace("{weak_etag}", "W/" + strong)
          .replace("{etag}", strong)
          .replace("{lm-1h}", IMF_FIXDATE.format(lm.minusSeconds(3600)))
          .replace("{lm+1h}", IMF_FIXDATE.format(lm.plusSeconds(3600)))
          .replace("{lm}", IMF_FIXDATE.format(lm))
          .replace("{now+1d}", IMF_FIXDATE.format(Instant.now().plusSeconds(86400)))
          .replace("{invalid_date}", "not-a-date");
    }
  }
}
