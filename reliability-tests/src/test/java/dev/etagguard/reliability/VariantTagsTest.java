package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tags that name variants: a compressed representation's {@code "T--gzip"} (option
 * {@code compressionMode=suffix}) stands for {@code "T"} only when a compressor produced it, and
 * whichever path answers (the handler's response or the validator store, option
 * {@code authoritativePaths}) evaluates a request the same way, {@code weakIfMatchPaths} and
 * compressed variants included. On every adapter.
 */
class VariantTagsTest {

  /** Versions its resources with tags the client names: PUT stores the body and the tag of {@code X-Tag}. */
  static final class NamedTagServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, String> bodies = new ConcurrentHashMap<>();
    final transient Map<String, String> tags = new ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String body = bodies.get(req.getPathInfo());
      if (body == null) {
        resp.sendError(404);
        return;
      }
      resp.setContentType("text/plain");
      resp.setHeader("ETag", tags.get(req.getPathInfo()));
      resp.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      tags.put(req.getPathInfo(), req.getHeader("X-Tag"));
      resp.setStatus(bodies.put(req.getPathInfo(), body) == null ? 201 : 204);
    }
  }

  /** Defect: the handler's own "rev7--draft" was taken for a compressed variant of its later "rev7". */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aHandlersOwnTagThatLooksSuffixedIsNotAVariant(GuardedServer.Adapter adapter) throws Exception {
    NamedTagServlet servlet = new NamedTagServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().guardedPaths("/v/*").build(),
        servlet)) {
      URI doc = server.uri("/v/a");
      assertThat(put(doc, "draft", "If-None-Match", "*", "X-Tag", "\"rev7--draft\"").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> draft = get(doc);
      assertThat(header(draft, "ETag")).isEqualTo("\"rev7--draft\"");
      assertThat(put(doc, "published", "If-Match", "\"rev7--draft\"", "X-Tag", "\"rev7\"").statusCode()).isEqualTo(204);
      assertThat(header(get(doc), "ETag")).isEqualTo("\"rev7\"");

      HttpResponse<byte[]> stale = put(doc, "overwritten", "If-Match", "\"rev7--draft\"", "X-Tag", "\"rev8\"");
      assertThat(stale.statusCode()).as("a write on the draft's tag").isEqualTo(412);
      assertThat(text(get(doc))).isEqualTo("published");
    }
  }

  /**
   * Defect: the store answered 412 to a GET whose weak If-Match the handler path accepts on a
   * {@code weakIfMatchPaths} path.
   */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void theStoreComparesIfMatchWeaklyWhereThePathSaysSo(GuardedServer.Adapter adapter) throws Exception {
    GuardSettings settings = GuardSettings.builder().authoritativePaths("/w/*").weakIfMatchPaths("/w/*").build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, new ResourceServlet())) {
      for (String path : new String[] {"/w/a", "/n/a"}) {
        URI doc = server.uri(path);
        assertThat(put(doc, "body").statusCode()).isEqualTo(201);
        String tag = header(get(doc), "ETag");
        HttpResponse<byte[]> weak = get(doc, "If-Match", "W/" + tag);
        assertThat(weak.statusCode()).as("GET %s If-Match: W/%s", path, tag).isEqualTo(path.startsWith("/w") ? 200 : 412);
        HttpResponse<byte[]> other = get(doc, "If-Match", "W/\"other\"");
        assertThat(other.statusCode()).as(path).isEqualTo(412);
      }
    }
  }

  /** Defect: the store answered 412 to a GET with the compressed variant's tag, which the handler path accepts. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void theStoreLeavesAnEncodedVariantsTagToTheHandler(GuardedServer.Adapter adapter) throws Exception {
    GuardSettings settings = GuardSettings.builder().authoritativePaths("/a/*").build();
    CompressionTest.TextServlet servlet = new CompressionTest.TextServlet();
    try (GuardedServer server = GuardedServer.start(adapter, settings, servlet)) {
      URI doc = server.uri("/a/own-gzip");
      assertThat(put(doc, "text").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> gz = get(doc, "Accept-Encoding", "gzip");
      assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
      assertThat(header(gz, "ETag")).isEqualTo("\"v1--gzip\"");
      assertThat(get(doc, "If-Match", "\"v1--gzip\"", "Accept-Encoding", "gzip").statusCode())
          .as("If-Match with the tag of the representation it gets").isEqualTo(200);
      assertThat(get(doc, "If-None-Match", "\"v1--gzip\"", "Accept-Encoding", "gzip").statusCode()).isEqualTo(304);
      assertThat(get(doc, "If-None-Match", "\"v1\"").statusCode()).isEqualTo(304);
      assertThat(get(doc, "If-Match", "\"v0--gzip\"", "Accept-Encoding", "gzip").statusCode()).isEqualTo(412);
      // And a write from the client that read the compressed representation is checked against it.
      assertThat(put(doc, "text 2", "If-Match", "\"v1--gzip\"").statusCode()).isEqualTo(204);
      assertThat(put(doc, "text 3", "If-Match", "\"v1--gzip\"").statusCode()).isEqualTo(412);
    }
  }

  /** Serves a title as JSON or as text by the request's Accept ({@code Vary: Accept}); PUT stores the title. */
  static final class NegotiatingServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, String> titles = new ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String title = titles.get(req.getPathInfo());
      resp.setHeader("Vary", "Accept");
      if (title == null) {
        resp.sendError(404);
        return;
      }
      String accept = req.getHeader("Accept");
      boolean json = accept != null && accept.contains("application/json");
      resp.setContentType(json ? "application/json" : "text/plain");
      resp.getOutputStream().write((json ? "{\"title\":\"" + title + "\"}" : title).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String title = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      resp.setStatus(titles.put(req.getPathInfo(), title) == null ? 201 : 204);
    }
  }

  /** Defect: after a client read the text variant, a client holding the JSON variant's current tag got 412. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void everyCurrentVariantsTagSatisfiesIfMatch(GuardedServer.Adapter adapter) throws Exception {
    NegotiatingServlet servlet = new NegotiatingServlet();
    GuardSettings settings = GuardSettings.builder().guardedPaths("/n/*").build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, servlet)) {
      URI doc = server.uri("/n/a");
      assertThat(put(doc, "Hello", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String json1 = header(get(doc, "Accept", "application/json"), "ETag");
      String text1 = header(get(doc, "Accept", "text/plain"), "ETag");
      assertThat(json1).isNotEqualTo(text1);

      assertThat(put(doc, "Eve", "If-None-Match", json1).statusCode()).as("If-None-Match of a current variant")
          .isEqualTo(412);
      assertThat(put(doc, "Bob", "If-Match", json1).statusCode()).as("the JSON reader's write").isEqualTo(204);
      assertThat(servlet.titles.get("/n/a")).isEqualTo("Bob");
      assertThat(put(doc, "Mary", "If-Match", text1).statusCode()).as("the text reader's write, now stale")
          .isEqualTo(412);
      assertThat(put(doc, "Mary", "If-Match", json1).statusCode()).as("a stale JSON tag").isEqualTo(412);
      assertThat(servlet.titles.get("/n/a")).isEqualTo("Bob");

      String json2 = header(get(doc, "Accept", "application/json"), "ETag");
      String text2 = header(get(doc, "Accept", "text/plain"), "ETag");
      assertThat(put(doc, "Carol", "If-Match", text2).statusCode()).isEqualTo(204);
      assertThat(put(doc, "Dave", "If-Match", json2).statusCode()).as("both variants are stale now").isEqualTo(412);
      assertThat(servlet.titles.get("/n/a")).isEqualTo("Carol");
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, java.time.Duration.ofSeconds(10))).isZero();
    }
  }

  /** A negotiated resource on an authoritative path is answered by the handler, which knows the variant. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void theStoreLeavesANegotiatedResourceToTheHandler(GuardedServer.Adapter adapter) throws Exception {
    NegotiatingServlet servlet = new NegotiatingServlet();
    GuardSettings settings = GuardSettings.builder().authoritativePaths("/n/*").build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, servlet)) {
      URI doc = server.uri("/n/b");
      assertThat(put(doc, "Hello").statusCode()).isEqualTo(201);
      String json = header(get(doc, "Accept", "application/json"), "ETag");
      String text = header(get(doc, "Accept", "text/plain"), "ETag");
      assertThat(get(doc, "Accept", "application/json", "If-Match", json).statusCode()).isEqualTo(200);
      assertThat(get(doc, "Accept", "application/json", "If-None-Match", json).statusCode()).isEqualTo(304);
      assertThat(get(doc, "Accept", "text/plain", "If-None-Match", text).statusCode()).isEqualTo(304);
      assertThat(get(doc, "Accept", "text/plain", "If-None-Match", json).statusCode()).isEqualTo(200);
    }
  }
}
