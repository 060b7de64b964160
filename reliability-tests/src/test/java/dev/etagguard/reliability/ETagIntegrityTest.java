package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.problem.Problem;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.testing.Permits;
import dev.etagguard.support.Builtins;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Property 9 of docs/guarantees.md: a generated ETag is a function of the bytes alone (no path,
 * inode, size or time: equal bytes have equal tags on every path, server and run, and every tag
 * has the same length), different bodies have different tags however close they are, and the
 * guard's problem bodies are well-formed RFC 9457 documents without stack traces, class names or
 * other server internals.
 */
class ETagIntegrityTest {

  /** A generated tag: 192 bits, base64url without padding, strong. */
  private static final Pattern GENERATED = Pattern.compile("\"[A-Za-z0-9_-]{32}\"");

  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** Text that betrays internals: stack frames, class or package names, exception types, file paths. */
  private static final Pattern INTERNALS = Pattern.compile(
      "(?i)(\\bat [a-z]+\\.|exception|\\bjava\\.|\\bjakarta\\.|dev\\.etagguard\\.|org\\.(apache|eclipse)\\.|"
          + "\\.java\\b|/tmp/|/work/|/home/|/root/|caused by|\\$[A-Z]|\\bnull\\b)");

  private static String tagOf(byte[] body) {
    EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
    d.update(body, 0, body.length);
    return d.finish().toString();
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aGeneratedTagDependsOnTheBytesAlone(GuardedServer.Adapter adapter) throws Exception {
    byte[] small = "x".getBytes(StandardCharsets.UTF_8);
    byte[] large = new byte[900_000];
    new Random(9).nextBytes(large);
    Set<String> seen = new HashSet<>();
    for (int run = 0; run < 2; run++) { // a restart: a fresh server and engine
      try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().build(), new FaultServlet())) {
        for (byte[] body : List.of(small, large)) {
          String expected = tagOf(body);
          for (String path : List.of("/i/a", "/i/deeply/nested/other-name.json", "/i/" + run + "/" + body.length)) {
            assertThat(RawHttp.exchange(server.port(), "PUT", path, List.of(), body).status()).isIn(201, 204);
            RawHttp.Response read = RawHttp.exchange(server.port(), "GET", path, List.of(), null);
            String tag = read.header("ETag");
            assertThat(tag).as("%s on %s, run %d", path, adapter, run).matches(GENERATED).isEqualTo(expected);
            assertThat(tag).doesNotContain("i/").doesNotContain(Integer.toString(body.length));
            seen.add(tag);
          }
        }
      }
    }
    assertThat(seen).as("one tag per body, whatever the path, server or run").hasSize(2);
  }

  /** Close bodies get different tags: one byte changed, length extended or cut, parts reordered. */
  @Test
  void closeBodiesNeverShareATag() {
    Random rnd = new Random(91);
    int variants = 0;
    for (int round = 0; round < 40; round++) {
      byte[] base = new byte[1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 4096)];
      rnd.nextBytes(base);
      Map<String, String> tags = new HashMap<>();
      List<byte[]> bodies = new ArrayList<>();
      bodies.add(base);
      for (int i = 0; i < Math.min(base.length, 64); i++) { // every single-bit flip of the first bytes
        byte[] flipped = base.clone();
        flipped[i] ^= (byte) (1 << rnd.nextInt(8));
        bodies.add(flipped);
      }
      bodies.add(Arrays.copyOf(base, base.length + 1)); // extended by a zero byte
      bodies.add(Arrays.copyOf(base, base.length - 1)); // cut by one byte
      bodies.add(sha256Padded(base)); // the message as SHA-256 pads it: what a length-extension starts from
      byte[] extended = Arrays.copyOf(sha256Padded(base), sha256Padded(base).length + 5);
      System.arraycopy("extra".getBytes(StandardCharsets.US_ASCII), 0, extended, extended.length - 5, 5);
      bodies.add(extended);
      if (base.length > 1) {
        byte[] swapped = base.clone(); // two halves swapped
        int half = base.length / 2;
        System.arraycopy(base, half, swapped, 0, base.length - half);
        System.arraycopy(base, 0, swapped, base.length - half, half);
        bodies.add(swapped);
        byte[] reversed = new byte[base.length];
        for (int i = 0; i < base.length; i++) {
          reversed[i] = base[base.length - 1 - i];
        }
        bodies.add(reversed);
      }
      for (byte[] body : bodies) {
        String tag = tagOf(body);
        String key = Arrays.toString(body);
        String other = tags.put(tag, key);
        assertThat(other == null || other.equals(key)).as("two bodies share %s", tag).isTrue();
        assertThat(tag).matches(GENERATED);
        variants++;
      }
    }
    assertThat(variants).isGreaterThan(2_000);
  }

  /** {@code m || 0x80 || 0x00* || len64(m)}: SHA-256's own padding of m, as a body. */
  private static byte[] sha256Padded(byte[] m) {
    int padded = ((m.length + 8) / 64 + 1) * 64;
    byte[] out = Arrays.copyOf(m, padded);
    out[m.length] = (byte) 0x80;
    long bits = (long) m.length * 8;
    for (int i = 0; i < 8; i++) {
      out[padded - 1 - i] = (byte) (bits >>> (8 * i));
    }
    return out;
  }

  @Test
  void closeBodiesGetDifferentTagsOverHttp() throws Exception {
    try (GuardedServer server = GuardedServer.start(GuardedServer.Adapter.FILTER_TOMCAT, GuardSettings.builder().build(),
        new FaultServlet())) {
      byte[] base = "{\"title\":\"Bob\",\"body\":\"hello\"}".getBytes(StandardCharsets.UTF_8);
      byte[] flipped = base.clone();
      flipped[10] ^= 1;
      byte[] reordered = "{\"body\":\"hello\",\"title\":\"Bob\"}".getBytes(StandardCharsets.UTF_8);
      Set<String> tags = new HashSet<>();
      int i = 0;
      for (byte[] body : List.of(base, flipped, Arrays.copyOf(base, base.length + 1), sha256Padded(base), reordered)) {
        String path = "/v/" + i++;
        assertThat(RawHttp.exchange(server.port(), "PUT", path, List.of(), body).status()).isEqualTo(201);
        String tag = RawHttp.exchange(server.port(), "GET", path, List.of(), null).header("ETag");
        assertThat(tag).isEqualTo(tagOf(body));
        tags.add(tag);
      }
      assertThat(tags).hasSize(5);
    }
  }

  /**
   * A resource whose bytes change behind the guard (no write passes through it) between GETs:
   * the digest cache (option {@code digestCacheSize}) compares each body with the last one, so a
   * body that differs in one byte anywhere, or in length, must still get the tag of its own bytes,
   * and an unchanged one the same tag (and 304 for it). Written whole with Content-Length, and in
   * small pieces without; GET and HEAD.
   */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void bodiesChangedBehindTheGuardNeverReuseATag(GuardedServer.Adapter adapter) throws Exception {
    byte[] base = new byte[70_000];
    new Random(12).nextBytes(base);
    List<byte[]> versions = new ArrayList<>();
    versions.add(base);
    for (int at : new int[] {0, 1, 4095, 4096, 35_000, 69_999}) {
      byte[] v = base.clone();
      v[at] ^= 0x20;
      versions.add(v);
      versions.add(base); // and back
    }
    versions.add(Arrays.copyOf(base, base.length - 1));
    versions.add(Arrays.copyOf(base, base.length + 1));
    versions.add(Arrays.copyOf(base, 10));
    versions.add(new byte[0]);
    versions.add(base);
    MutableServlet servlet = new MutableServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().build(), servlet)) {
      String previousTag = null;
      byte[] previous = null;
      for (boolean declared : new boolean[] {true, false}) {
        servlet.declareLength = declared;
        for (byte[] body : versions) {
          servlet.body = body;
          String expected = body.length == 0 ? null : tagOf(body); // an empty body gets no generated tag
          RawHttp.Response got = RawHttp.exchange(server.port(), "GET", "/m", List.of(), null);
          assertThat(got.status()).isEqualTo(200);
          assertThat(got.header("ETag")).as("%s bytes, declared %s", body.length, declared).isEqualTo(expected);
          assertThat(got.body()).isEqualTo(body);
          assertThat(RawHttp.exchange(server.port(), "HEAD", "/m", List.of(), null).header("ETag")).isEqualTo(expected);
          if (previousTag != null) {
            RawHttp.Response conditional = RawHttp.exchange(server.port(), "GET", "/m",
                List.of(field("If-None-Match", previousTag)), null);
            assertThat(conditional.status()).isEqualTo(Arrays.equals(previous, body) ? 304 : 200);
          }
          previousTag = expected;
          previous = body;
        }
      }
    }
  }

  /** Serves {@link #body} for every GET, whole with Content-Length or in 1000-byte pieces without. */
  static final class MutableServlet extends jakarta.servlet.http.HttpServlet {
    private static final long serialVersionUID = 1L;
    volatile byte[] body = new byte[0];
    volatile boolean declareLength = true;

    @Override
    protected void doGet(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp)
        throws IOException {
      byte[] b = body;
      resp.setContentType("application/octet-stream");
      if (declareLength) {
        resp.setContentLength(b.length);
        resp.getOutputStream().write(b);
        return;
      }
      for (int off = 0; off < b.length; off += 1000) {
        resp.getOutputStream().write(b, off, Math.min(1000, b.length - off));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void problemBodiesAreWellFormedAndRevealNothing(GuardedServer.Adapter adapter) throws Exception {
    GuardEngine engine = GuardEngine.create(GuardSettings.builder().guardedPaths("/p/*")
        .permitTimeout(Duration.ofMillis(300)).build());
    try (GuardedServer server = GuardedServer.start(adapter, engine, new FaultServlet(), Map.of())) {
      int port = server.port();
      assertThat(RawHttp.exchange(port, "PUT", "/p/r", List.of(field("If-None-Match", "*")), bytes("hello")).status())
          .isEqualTo(201);
      String tag = RawHttp.exchange(port, "GET", "/p/r", List.of(), null).header("ETag");
      Map<Integer, RawHttp.Response> answers = new java.util.LinkedHashMap<>();
      answers.put(400, RawHttp.exchange(port, "PUT", "/p/r", List.of(field("If-Match", "\"unterminated")), bytes("x")));
      answers.put(412, RawHttp.exchange(port, "PUT", "/p/r", List.of(field("If-Match", "\"stale\"")), bytes("x")));
      answers.put(416, RawHttp.exchange(port, "GET", "/p/r", List.of(field("Range", "bytes=100-200")), null));
      answers.put(428, RawHttp.exchange(port, "DELETE", "/p/r", List.of(), null));
      // 503: a write holds the permit (a slow handler) while another waits past permitTimeout.
      // (First no permit may linger from the answers above, or the count below could see that one.)
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(20))).isZero();
      CompletableFuture<RawHttp.Response> holder = CompletableFuture.supplyAsync(() -> {
        try {
          return RawHttp.exchange(port, "PUT", "/p/r?slow=1500", List.of(field("If-Match", tag)), bytes("held"));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(20))).isEqualTo(1);
      answers.put(503, RawHttp.exchange(port, "PUT", "/p/r", List.of(field("If-Match", tag)), bytes("waits")));
      assertThat(holder.get().status()).isEqualTo(204);
      for (Map.Entry<Integer, RawHttp.Response> e : answers.entrySet()) {
        checkProblem(adapter + " " + e.getKey(), e.getKey(), e.getValue());
      }
      assertThat(answers.get(503).header("Retry-After")).matches("[0-9]+");
      assertThat(answers.get(412).header("ETag")).as("412 names the current tag").matches(GENERATED);
      assertThat(answers.get(416).header("Content-Range")).isEqualTo("bytes */" + "hello".length());

      // A handler that throws: the container answers with its own page (Tomcat's default report shows
      // the exception and its stack, frames of the guard included: switch it off with the
      // ErrorReportValve's showReport=false). The guard adds nothing: no problem, no validator, and the
      // exception the container reports is the handler's own, not wrapped in one of the guard's.
      String current = RawHttp.exchange(port, "GET", "/p/r", List.of(), null).header("ETag");
      RawHttp.Response thrown = RawHttp.exchange(port, "PUT", "/p/r?throw", List.of(field("If-Match", current)),
          bytes("x"));
      assertThat(thrown.status()).isEqualTo(500);
      assertThat(String.valueOf(thrown.header("Content-Type"))).as("not a problem of the guard's")
          .doesNotContain("problem+json");
      assertThat(thrown.header("ETag")).isNull();
      assertThat(thrown.header("Last-Modified")).isNull();
      assertThat(thrown.text()).as("no exception type of the guard")
          .doesNotContainPattern("dev\\.etagguard\\.[A-Za-z.]*(Exception|Error)\\b");
      System.out.printf("ETagIntegrityTest %s: handler exception answered by the container: %d %s, %d bytes%n",
          adapter, thrown.status(), thrown.header("Content-Type"), thrown.body().length);
    }
  }

  private static void checkProblem(String what, int status, RawHttp.Response r) {
    assertThat(r.status()).as(what).isEqualTo(status);
    assertThat(r.header("Content-Type")).as(what).startsWith(Problem.MEDIA_TYPE);
    String text = r.text();
    JsonNode json = JSON.readTree(text);
    assertThat(json.isObject()).as(what + ": " + text).isTrue();
    Set<String> names = new HashSet<>(json.propertyNames());
    assertThat(names).as(what + ": members").containsAll(List.of("type", "title", "status", "detail"))
        .isSubsetOf(List.of("type", "title", "status", "detail", "key"));
    assertThat(json.get("type").isString()).isTrue();
    assertThat(java.net.URI.create(json.get("type").asString()).isAbsolute()).as(what).isTrue();
    assertThat(json.get("type").asString()).startsWith(Problem.TYPE_BASE).matches(".*/[a-z-]+");
    assertThat(json.get("status").isInt()).isTrue();
    assertThat(json.get("status").asInt()).as(what + ": status member equals the HTTP status").isEqualTo(status);
    assertThat(json.get("title").asString()).isNotBlank();
    assertThat(json.get("detail").asString()).isNotBlank();
    if (json.has("key")) {
      assertThat(json.get("key").asString()).isEqualTo("/p/r");
    }
    assertThat(INTERNALS.matcher(text).find()).as(what + ": internals in " + text).isFalse();
    assertThat(text.toLowerCase(Locale.ROOT)).doesNotContain("127.0.0.1").doesNotContain("tomcat").doesNotContain("jetty");
    assertThat(r.body().length).as(what).isEqualTo(Integer.parseInt(r.header("Content-Length")));
  }

  private static RawHttp.Field field(String name, String value) {
    return new RawHttp.Field(name, value);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
