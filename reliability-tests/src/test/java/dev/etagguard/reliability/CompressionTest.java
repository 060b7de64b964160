package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.settings.CompressionMode;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Guarantee 10: a compressed representation never shares a strong ETag with the identity one
 * (RFC 9110 8.8.3.3), in each {@link CompressionMode}, for 200, 304, If-Match, If-None-Match and
 * If-Range; and the servers' own compression in front of the guard keeps it too.
 */
class CompressionTest {

  private static final String TEXT = "The quick brown fox jumps over the lazy dog. ".repeat(20);

  /**
   * Stores text by path. GET compresses with gzip itself when the request accepts it and the path
   * contains {@code gzip}; when it contains {@code own} it sets its own strong tag
   * {@code "v<version>"}. PUT replaces the text (201 or 204).
   */
  static final class TextServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, String> texts = new ConcurrentHashMap<>();
    final transient Map<String, Integer> versions = new ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String text = texts.get(req.getPathInfo());
      if (text == null) {
        resp.sendError(404);
        return;
      }
      resp.setContentType("text/plain");
      if (req.getPathInfo().contains("own")) {
        resp.setHeader("ETag", "\"v" + versions.get(req.getPathInfo()) + "\"");
      }
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      String accept = req.getHeader("Accept-Encoding");
      if (req.getPathInfo().contains("gzip") && accept != null && accept.contains("gzip")) {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz)) {
          out.write(bytes);
        }
        bytes = gz.toByteArray();
        resp.setHeader("Content-Encoding", "gzip");
        resp.addHeader("Vary", "Accept-Encoding");
      }
      resp.setContentLength(bytes.length);
      resp.getOutputStream().write(bytes);
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String text = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      boolean created = texts.put(req.getPathInfo(), text) == null;
      versions.merge(req.getPathInfo(), 1, Integer::sum);
      resp.setStatus(created ? 201 : 204);
    }
  }

  private static GuardedServer start(GuardedServer.Adapter adapter, CompressionMode mode, boolean serverCompression,
      TextServlet servlet) throws Exception {
    GuardEngine engine = GuardEngine.create(GuardSettings.builder().compressionMode(mode).build());
    return GuardedServer.start(adapter, engine, servlet, Map.of(), serverCompression);
  }

  private static HttpResponse<byte[]> get(URI uri, String... headers) throws Exception {
    return Http.get(uri, headers);
  }

  private static HttpResponse<byte[]> gzipGet(URI uri, String... headers) throws Exception {
    List<String> all = new ArrayList<>(List.of("Accept-Encoding", "gzip"));
    all.addAll(List.of(headers));
    return Http.get(uri, all.toArray(String[]::new));
  }

  private static String decoded(HttpResponse<byte[]> response) throws IOException {
    if ("gzip".equals(Http.header(response, "Content-Encoding"))) {
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(response.body()))) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  private static URI create(GuardedServer server, String path) throws Exception {
    assertThat(Http.put(server.uri(path), TEXT, "If-None-Match", "*").statusCode()).isEqualTo(201);
    return server.uri(path);
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void suffixModeNamesEachEncodingAndAcceptsItsTagForWrites(GuardedServer.Adapter adapter) throws Exception {
    TextServlet servlet = new TextServlet();
    try (GuardedServer server = start(adapter, CompressionMode.SUFFIX, false, servlet)) {
      URI doc = create(server, "/t/gzip-own-a");
      HttpResponse<byte[]> gz = gzipGet(doc);
      assertThat(Http.header(gz, "Content-Encoding")).isEqualTo("gzip");
      assertThat(Http.header(gz, "ETag")).isEqualTo("\"v1--gzip\"");
      assertThat(decoded(gz)).isEqualTo(TEXT);
      assertThat(Http.header(get(doc), "ETag")).as("identity keeps the handler's tag").isEqualTo("\"v1\"");

      HttpResponse<byte[]> notModified = gzipGet(doc, "If-None-Match", "\"v1--gzip\"");
      assertThat(notModified.statusCode()).isEqualTo(304);
      assertThat(Http.header(notModified, "ETag")).isEqualTo("\"v1--gzip\"");
      assertThat(gzipGet(doc, "If-None-Match", "\"v1\"").statusCode()).as("another representation").isEqualTo(200);
      assertThat(get(doc, "If-None-Match", "\"v1--gzip\"").statusCode()).as("another representation").isEqualTo(200);
      assertThat(get(doc, "If-None-Match", "\"v1\"").statusCode()).isEqualTo(304);

      HttpResponse<byte[]> ranged = gzipGet(doc, "Range", "bytes=0-3", "If-Range", "\"v1\"");
      assertThat(ranged.statusCode()).as("If-Range of the identity tag gives no part of the gzip bytes").isEqualTo(200);
      assertThat(decoded(ranged)).isEqualTo(TEXT);
      HttpResponse<byte[]> part = gzipGet(doc, "Range", "bytes=0-1", "If-Range", "\"v1--gzip\"");
      assertThat(part.statusCode()).isEqualTo(206);
      assertThat(part.body()).as("the gzip magic number").containsExactly(0x1f, 0x8b);

      HttpResponse<byte[]> stale412 = Http.put(doc, "x", "If-Match", "\"v0--gzip\"");
      assertThat(stale412.statusCode()).isEqualTo(412);
      assertThat(Http.put(doc, "second", "If-Match", "\"v1--gzip\"").statusCode())
          .as("the gzip tag names the current state").isEqualTo(204);
      assertThat(Http.put(doc, "x", "If-Match", "\"v1--gzip\"").statusCode()).as("now stale").isEqualTo(412);
      assertThat(Http.put(doc, "x", "If-None-Match", "\"v2--gzip\"").statusCode())
          .as("If-None-Match of the current state's gzip tag").isEqualTo(412);
      assertThat(decoded(get(doc))).isEqualTo("second");
      assertThat(server.engine().sequencer().heldPermits()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void weakenModeWeakensEncodedTags(GuardedServer.Adapter adapter) throws Exception {
    TextServlet servlet = new TextServlet();
    try (GuardedServer server = start(adapter, CompressionMode.WEAKEN, false, servlet)) {
      URI doc = create(server, "/t/gzip-own-b");
      HttpResponse<byte[]> gz = gzipGet(doc);
      assertThat(Http.header(gz, "ETag")).isEqualTo("W/\"v1\"");
      assertThat(Http.header(get(doc), "ETag")).isEqualTo("\"v1\"");
      assertThat(gzipGet(doc, "If-None-Match", "\"v1\"").statusCode()).as("weak comparison").isEqualTo(304);
      assertThat(Http.header(gzipGet(doc, "If-None-Match", "\"v1\""), "ETag")).isEqualTo("W/\"v1\"");
      assertThat(gzipGet(doc, "Range", "bytes=0-1", "If-Range", "W/\"v1\"").statusCode())
          .as("a weak tag never satisfies If-Range").isEqualTo(200);
      assertThat(Http.put(doc, "x", "If-Match", "W/\"v1\"").statusCode()).as("strong comparison").isEqualTo(412);
      assertThat(Http.put(doc, "second", "If-Match", "\"v1\"").statusCode()).isEqualTo(204);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void identityModeKeepsCompressionAwayFromTaggedReads(GuardedServer.Adapter adapter) throws Exception {
    TextServlet servlet = new TextServlet();
    try (GuardedServer server = start(adapter, CompressionMode.IDENTITY, false, servlet)) {
      URI doc = create(server, "/t/gzip-own-c");
      HttpResponse<byte[]> r = gzipGet(doc);
      assertThat(Http.header(r, "Content-Encoding")).as("the handler never saw Accept-Encoding").isNull();
      assertThat(Http.header(r, "ETag")).isEqualTo("\"v1\"");
      assertThat(decoded(r)).isEqualTo(TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void generatedTagsOfEncodedBodiesDifferAndWritesUseTheIdentityTag(GuardedServer.Adapter adapter) throws Exception {
    TextServlet servlet = new TextServlet();
    try (GuardedServer server = start(adapter, CompressionMode.SUFFIX, false, servlet)) {
      URI doc = create(server, "/t/gzip-d");
      String gzTag = Http.header(gzipGet(doc), "ETag");
      String idTag = Http.header(get(doc), "ETag");
      assertThat(gzTag).isNotNull().doesNotStartWith("W/");
      assertThat(idTag).isNotNull().isNotEqualTo(gzTag);
      assertThat(gzipGet(doc, "If-None-Match", gzTag).statusCode()).isEqualTo(304);
      assertThat(gzipGet(doc).statusCode()).isEqualTo(200);
      assertThat(Http.put(doc, "x", "If-Match", gzTag).statusCode())
          .as("the store keeps the identity tag only").isEqualTo(412);
      assertThat(Http.put(doc, "second", "If-Match", idTag).statusCode()).isEqualTo(204);
      assertThat(decoded(get(doc))).isEqualTo("second");
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void serverCompressionInFrontOfTheGuardKeepsTagsApart(GuardedServer.Adapter adapter) throws Exception {
    TextServlet servlet = new TextServlet();
    try (GuardedServer server = start(adapter, CompressionMode.SUFFIX, true, servlet)) {
      URI doc = create(server, "/t/plain-e");
      HttpResponse<byte[]> gz = gzipGet(doc);
      String tag = Http.header(gz, "ETag");
      HttpResponse<byte[]> identity = get(doc);
      String idTag = Http.header(identity, "ETag");
      assertThat(decoded(gz)).isEqualTo(TEXT);
      assertThat(decoded(identity)).isEqualTo(TEXT);
      if (adapter.tomcat()) {
        assertThat(Http.header(gz, "Content-Encoding")).as("Tomcat never compresses a strong-tagged response").isNull();
        assertThat(tag).isEqualTo(idTag);
      } else {
        assertThat(Http.header(gz, "Content-Encoding")).isEqualTo("gzip");
        assertThat(tag).as("Jetty suffixes the tag of the compressed response").isEqualTo(
            idTag.substring(0, idTag.length() - 1) + "--gzip\"");
      }
      assertThat(gzipGet(doc, "If-None-Match", tag).statusCode()).isEqualTo(304);
      assertThat(get(doc, "If-None-Match", idTag).statusCode()).isEqualTo(304);
      assertThat(Http.put(doc, "second", "If-Match", tag).statusCode()).as("the tag the client saw names the state")
          .isEqualTo(204);
      assertThat(Http.put(doc, "x", "If-Match", tag).statusCode()).isEqualTo(412);
      assertThat(Http.put(doc, "x", "If-Match", idTag).statusCode()).isEqualTo(412);
      assertThat(decoded(get(doc))).isEqualTo("second");
    }
  }
}
