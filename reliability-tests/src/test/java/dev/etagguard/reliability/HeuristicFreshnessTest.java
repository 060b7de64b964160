package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The guard's own Last-Modified must not make a response heuristically fresh (RFC 9111 4.2.2):
 * a browser would reuse it without asking and read its own write back stale. Where the guard
 * supplies the date and the handler stated no freshness, the response (200 and 304) gets
 * {@code Cache-Control: no-cache}; the handler's own freshness or date is left alone; option
 * {@code heuristicFreshness=true} turns it off. On every adapter.
 */
class HeuristicFreshnessTest {

  /** The resource servlet; {@code cc=V} and {@code expires=V} set the handler's own fields on GET. */
  static final class CachingServlet extends ResourceServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if ("GET".equals(req.getMethod())) {
        if (req.getParameter("cc") != null) {
          resp.setHeader("Cache-Control", req.getParameter("cc"));
        }
        if (req.getParameter("cc2") != null) {
          resp.addHeader("Cache-Control", req.getParameter("cc2"));
        }
        if (req.getParameter("expires") != null) {
          resp.setHeader("Expires", req.getParameter("expires"));
        }
      }
      super.service(req, resp);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void theGuardsDateComesWithNoCacheUnlessTheHandlerStatedFreshness(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.DEFAULTS, new CachingServlet())) {
      URI doc = server.uri("/c/a");
      assertThat(put(doc, "body").statusCode()).isEqualTo(201);

      HttpResponse<byte[]> plain = get(doc);
      assertThat(header(plain, "Last-Modified")).as("the guard's date").isNotNull();
      assertThat(plain.headers().allValues("Cache-Control")).containsExactly("no-cache");
      HttpResponse<byte[]> notModified = get(doc, "If-None-Match", header(plain, "ETag"));
      assertThat(notModified.statusCode()).isEqualTo(304);
      assertThat(notModified.headers().allValues("Cache-Control")).as("the 304 as the 200").containsExactly("no-cache");
      assertThat(get(server.uri("/c/a?cc=private")).headers().allValues("Cache-Control"))
          .containsExactly("private, no-cache");

      assertThat(get(server.uri("/c/a?cc=private&cc2=no-store")).headers().allValues("Cache-Control"))
          .as("a second line states it").containsExactly("private", "no-store");
      assertThat(get(server.uri("/c/a?cc=private&cc2=must-revalidate")).headers().allValues("Cache-Control"))
          .as("every line kept").containsExactly("private, must-revalidate, no-cache");
      assertThat(get(server.uri("/c/a?cc=max-age%3D60")).headers().allValues("Cache-Control"))
          .as("the handler's freshness").containsExactly("max-age=60");
      HttpResponse<byte[]> expires = get(server.uri("/c/a?expires=Thu,%2001%20Jan%202099%2000:00:00%20GMT"));
      assertThat(expires.headers().allValues("Cache-Control")).isEmpty();
      HttpResponse<byte[]> dated = get(server.uri("/c/a?lm=Tue,%2015%20Nov%201994%2008:12:31%20GMT"));
      assertThat(header(dated, "Last-Modified")).isEqualTo("Tue, 15 Nov 1994 08:12:31 GMT");
      assertThat(dated.headers().allValues("Cache-Control")).as("the handler's own date").isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void heuristicFreshnessLeavesTheResponseAlone(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().heuristicFreshness(true).build(),
        new CachingServlet())) {
      URI doc = server.uri("/c/b");
      assertThat(put(doc, "body").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> plain = get(doc);
      assertThat(header(plain, "Last-Modified")).isNotNull();
      assertThat(plain.headers().allValues("Cache-Control")).isEmpty();
    }
  }
}
