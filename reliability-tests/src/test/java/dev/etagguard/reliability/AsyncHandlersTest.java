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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A resource whose GET is asynchronous (Servlet async: the body written from another thread and
 * {@code complete()}d, or the result handed back through {@code dispatch()}, the way Spring MVC's
 * {@code DeferredResult} and {@code Callable} work) is an ordinary resource behind the guard: its
 * writes are decided on its current state, learned by an internal GET that runs the async handler
 * without touching the client's request, and its GETs are tagged, so it gets 304s and usable
 * If-Match. On every adapter.
 */
class AsyncHandlersTest {

  private static final ExecutorService WORKERS = Executors.newCachedThreadPool();

  @AfterAll
  static void stopWorkers() {
    WORKERS.shutdownNow();
  }

  /**
   * GET {@code /complete/...}: {@code startAsync()}, the body written by another thread, then
   * {@code complete()}. GET {@code /dispatch/...}: {@code startAsync(req, resp)}, another thread
   * finds the body and {@code dispatch()}es, the ASYNC dispatch writes it. PUT and DELETE are
   * synchronous. A missing resource is 404 either way.
   */
  static final class AsyncServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, byte[]> bodies = new ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String key = req.getPathInfo();
      if (req.getAttribute("looked") != null) {
        // The result, as Spring MVC finds it: by the request's state, not its dispatcher type
        // (a forward on Jetty shows FORWARD, also for the guard's internal GET's ASYNC dispatch).
        write((byte[]) req.getAttribute("found"), resp);
        return;
      }
      if (key.startsWith("/complete/")) {
        AsyncContext async = req.startAsync();
        WORKERS.execute(() -> {
          try {
            pause();
            write(bodies.get(key), (HttpServletResponse) async.getResponse());
          } catch (IOException e) {
            ((HttpServletResponse) async.getResponse()).setStatus(500);
          } finally {
            async.complete();
          }
        });
      } else {
        AsyncContext async = req.startAsync(req, resp);
        WORKERS.execute(() -> {
          pause();
          byte[] body = bodies.get(key);
          if (body != null) {
            req.setAttribute("found", body);
          }
          req.setAttribute("looked", Boolean.TRUE);
          async.dispatch();
        });
      }
    }

    private static void write(byte[] body, HttpServletResponse resp) throws IOException {
      if (body == null) {
        resp.setStatus(404);
        return;
      }
      resp.setContentType("text/plain");
      resp.getOutputStream().write(body);
    }

    private static void pause() {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      byte[] body = req.getInputStream().readAllBytes();
      resp.setStatus(bodies.put(req.getPathInfo(), body) == null ? 201 : 204);
    }
  }

  static java.util.stream.Stream<Arguments> cases() {
    return java.util.Arrays.stream(GuardedServer.Adapter.values())
        .flatMap(a -> java.util.stream.Stream.of(Arguments.of(a, "/complete"), Arguments.of(a, "/dispatch")));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void writesAreDecidedOnTheStateTheAsyncHandlerReports(GuardedServer.Adapter adapter, String style)
      throws Exception {
    AsyncServlet servlet = new AsyncServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().guardedPaths("/*").build(),
        servlet)) {
      URI doc = server.uri(style + "/a");
      // Missing: If-None-Match: * holds, If-Match: * fails.
      assertThat(put(doc, "v0", "If-Match", "*").statusCode()).isEqualTo(412);
      assertThat(servlet.bodies).isEmpty();
      assertThat(put(doc, "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
      // Present: the reverse.
      assertThat(put(doc, "v2", "If-None-Match", "*").statusCode()).isEqualTo(412);
      assertThat(put(doc, "v2", "If-Match", "*").statusCode()).isEqualTo(204);
      assertThat(new String(servlet.bodies.get(style + "/a"), StandardCharsets.UTF_8)).isEqualTo("v2");
      assertThat(put(doc, "v3", "If-Match", "\"not-the-tag\"").statusCode()).isEqualTo(412);
      assertThat(new String(servlet.bodies.get(style + "/a"), StandardCharsets.UTF_8)).isEqualTo("v2");
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void asyncResponsesAreTaggedAndAnsweredConditionally(GuardedServer.Adapter adapter, String style)
      throws Exception {
    AsyncServlet servlet = new AsyncServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.DEFAULTS, servlet)) {
      URI doc = server.uri(style + "/b");
      servlet.bodies.put(style + "/b", "first".getBytes(StandardCharsets.UTF_8));
      HttpResponse<byte[]> first = get(doc);
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(text(first)).isEqualTo("first");
      String tag = header(first, "ETag");
      assertThat(tag).startsWith("\"");
      assertThat(header(first, "Content-Length")).isEqualTo("5");
      HttpResponse<byte[]> again = get(doc, "If-None-Match", tag);
      assertThat(again.statusCode()).isEqualTo(304);
      assertThat(again.body()).isEmpty();
      assertThat(put(doc, "second", "If-Match", tag).statusCode()).isEqualTo(204);
      assertThat(put(doc, "third", "If-Match", tag).statusCode()).isEqualTo(412);
      HttpResponse<byte[]> now = get(doc, "If-None-Match", tag);
      assertThat(now.statusCode()).isEqualTo(200);
      assertThat(text(now)).isEqualTo("second");
      assertThat(header(now, "ETag")).isNotEqualTo(tag).startsWith("\"");
    }
  }
}
