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
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.settings.GuardSettings;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A handler that honours Range but ignores If-Range (as Jetty 12.1's ee11 {@code DefaultServlet}
 * and Spring's static resources do) must not splice two versions into a resumed download: the
 * guard evaluates If-Range on the validators it knows, a stale one gets the whole current
 * representation, and every 206 carries the validators the 200 would (RFC 9110 13.1.5, 15.3.7).
 * On every adapter.
 */
class IfRangeTest {

  /** Stores bodies; GET serves {@code Range: bytes=a-b} itself and never looks at If-Range or validators. */
  static final class RangeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    final transient Map<String, String> ifRangeSeen = new ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      byte[] body = bodies.get(req.getPathInfo());
      if (req.getHeader("If-Range") != null) {
        ifRangeSeen.put(req.getPathInfo(), req.getHeader("If-Range"));
      }
      if (body == null) {
        resp.sendError(404);
        return;
      }
      resp.setContentType("application/octet-stream");
      String range = req.getHeader("Range");
      if (range != null && range.matches("bytes=\\d+-\\d+")) {
        String[] ends = range.substring(6).split("-");
        int first = Integer.parseInt(ends[0]);
        int last = Math.min(Integer.parseInt(ends[1]), body.length - 1);
        resp.setStatus(206);
        resp.setHeader("Content-Range", "bytes " + first + "-" + last + "/" + body.length);
        resp.setContentLength(last - first + 1);
        resp.getOutputStream().write(Arrays.copyOfRange(body, first, last + 1));
        return;
      }
      resp.setContentLength(body.length);
      resp.getOutputStream().write(body);
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      byte[] body = req.getInputStream().readAllBytes();
      resp.setStatus(bodies.put(req.getPathInfo(), body) == null ? 201 : 204);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aStaleIfRangeGetsTheWholeCurrentRepresentation(GuardedServer.Adapter adapter) throws Exception {
    RangeServlet servlet = new RangeServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.DEFAULTS, servlet)) {
      URI doc = server.uri("/r/a");
      assertThat(put(doc, "0123456789").statusCode()).isEqualTo(201);
      String v1 = header(get(doc), "ETag");
      assertThat(v1).as("the guard's own tag").isNotNull();

      HttpResponse<byte[]> part = get(doc, "Range", "bytes=0-4", "If-Range", v1);
      assertThat(part.statusCode()).isEqualTo(206);
      assertThat(text(part)).isEqualTo("01234");
      assertThat(header(part, "ETag")).as("the 206 carries the 200's validators").isEqualTo(v1);
      servlet.ifRangeSeen.clear(); // that If-Range held; the stale ones below must never reach the handler

      assertThat(put(doc, "abcdefghij").statusCode()).isEqualTo(204);
      HttpResponse<byte[]> resumed = get(doc, "Range", "bytes=5-9", "If-Range", v1);
      assertThat(resumed.statusCode()).as("a resumed download of a version that changed").isEqualTo(200);
      assertThat(text(resumed)).isEqualTo("abcdefghij");
      String v2 = header(resumed, "ETag");
      assertThat(v2).isNotEqualTo(v1);

      HttpResponse<byte[]> plain = get(doc, "Range", "bytes=2-3");
      assertThat(plain.statusCode()).isEqualTo(206);
      assertThat(text(plain)).isEqualTo("cd");
      assertThat(header(plain, "ETag")).as("a 206 without If-Range too").isEqualTo(v2);

      HttpResponse<byte[]> dated = get(doc, "Range", "bytes=0-1", "If-Range", "Thu, 01 Jan 1970 00:00:00 GMT");
      assertThat(dated.statusCode()).isEqualTo(200);
      assertThat(text(dated)).isEqualTo("abcdefghij");
      assertThat(servlet.ifRangeSeen).as("the handler never saw a stale If-Range").isEmpty();
    }
  }
}
