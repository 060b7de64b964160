package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Edges of held async reads and of content received before the permit (issue 18), found by a
 * review of that change: a timeout fallback completed through the listener's event, includes,
 * HEAD of async resources, sendError from an async worker, and an upload far larger than what the
 * guard keeps on disk. Every test states what a client gets from the same handler without the
 * guard. On every adapter.
 */
class AsyncAndSpoolEdgesTest {

  /**
   * The classic Servlet async timeout fallback: the handler starts async and hands the request to
   * a back end that does not answer in time; its {@code AsyncListener.onTimeout} writes a fallback
   * body through the event's context and completes that context. Without the guard the client
   * gets 200 "fallback".
   */
  static final class TimeoutFallbackServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
      AsyncContext async = req.startAsync();
      async.setTimeout(300);
      async.addListener(new AsyncListener() {
        @Override
        public void onTimeout(AsyncEvent event) throws IOException {
          HttpServletResponse r = (HttpServletResponse) event.getAsyncContext().getResponse();
          r.setContentType("text/plain");
          r.getWriter().write("fallback");
          event.getAsyncContext().complete();
        }

        @Override
        public void onComplete(AsyncEvent event) {
        }

        @Override
        public void onError(AsyncEvent event) {
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }
      });
      // the back end never answers
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void anAsyncTimeoutFallbackCompletedThroughTheEventIsSent(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.DEFAULTS, new TimeoutFallbackServlet())) {
      HttpResponse<byte[]> r = get(server.uri("/slow"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(text(r)).as("the body the handler's timeout listener wrote").isEqualTo("fallback");
    }
  }

  /** The same with option readPermits: the permit is released and the body sent. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void anAsyncTimeoutFallbackUnderReadPermitsIsSent(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().readPermits(true).build(),
        new TimeoutFallbackServlet())) {
      HttpResponse<byte[]> r = get(server.uri("/slow"));
      assertThat(text(r)).as("the body the handler's timeout listener wrote").isEqualTo("fallback");
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /**
   * A page assembled with {@code RequestDispatcher.include} (a header fragment, a JSP include):
   * without the guard the client gets "page:part:end".
   */
  static final class IncludingServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
      if (req.getAttribute(RequestDispatcher.INCLUDE_REQUEST_URI) != null) {
        resp.getWriter().write("part");
        return;
      }
      resp.setContentType("text/plain");
      resp.getWriter().write("page:");
      req.getRequestDispatcher("/fragment").include(req, resp);
      resp.getWriter().write(":end");
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void anIncludedFragmentIsPartOfTheTaggedBody(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.DEFAULTS, new IncludingServlet())) {
      HttpResponse<byte[]> r = get(server.uri("/page"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(text(r)).isEqualTo("page:part:end");
      assertThat(header(r, "ETag")).startsWith("\"");
    }
  }

  /**
   * A handler with its own content limit (as most upload endpoints have, and as Tomcat's
   * maxPostSize is for forms): it reads at most 1 KiB and answers 413 beyond that. Without the
   * guard the answer comes after about 1 KiB and the container stops reading (Tomcat swallows at
   * most 2 MiB, Jetty closes); the client's upload is cut short. Any request with a precondition
   * field reaches that handler.
   */
  static final class LimitedUploadServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
      resp.setStatus(404);
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      byte[] got = req.getInputStream().readNBytes(1025);
      resp.setStatus(got.length > 1024 ? 413 : 201);
      resp.setHeader("Connection", "close");
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void anOversizedUploadIsNotSpooledToDiskWithoutBound(GuardedServer.Adapter adapter) throws Exception {
    assertCutShort(adapter, "/*");
  }

  private static void assertCutShort(GuardedServer.Adapter adapter, String guarded) throws Exception {
    long total = 64L * 1024 * 1024;
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().guardedPaths(guarded).build(),
        new LimitedUploadServlet());
        java.net.Socket socket = new java.net.Socket("127.0.0.1", server.uri("/").getPort())) {
      socket.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
      java.io.OutputStream out = socket.getOutputStream();
      out.write(RawHttp.head("PUT", "/up/a", java.util.List.of(new RawHttp.Field("If-None-Match", "*"),
          new RawHttp.Field("Content-Type", "application/octet-stream")), total));
      java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
      Thread writer = new Thread(() -> {
        byte[] chunk = new byte[64 * 1024];
        try {
          while (sent.get() < total) {
            out.write(chunk);
            sent.addAndGet(chunk.length);
          }
        } catch (IOException e) {
          // the server stopped reading: expected
        }
      });
      writer.setDaemon(true);
      writer.start();
      long peak = 0;
      while (writer.isAlive()) {
        peak = Math.max(peak, spooledBytes());
        Thread.sleep(5);
      }
      int first = socket.getInputStream().read();
      assertThat(first).isEqualTo('H');
      assertThat(peak).as("bytes of the upload written to temporary files (of %d)", total)
          .isLessThan(16L * 1024 * 1024);
    }
  }

  private static long spooledBytes() throws IOException {
    try (java.util.stream.Stream<java.nio.file.Path> files =
        java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
      return files.filter(f -> f.getFileName().toString().startsWith("etag-guard-content")
          || f.getFileName().toString().startsWith("etagguard-body-")).mapToLong(f -> {
            try {
              return java.nio.file.Files.size(f);
            } catch (IOException e) {
              return 0;
            }
          }).sum();
    }
  }

  /** HEAD of a resource whose GET is async (complete() and dispatch() styles): GET's length, no body. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void headOfAnAsyncResourceDeclaresTheGetLength(GuardedServer.Adapter adapter) throws Exception {
    AsyncHandlersTest.AsyncServlet servlet = new AsyncHandlersTest.AsyncServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.DEFAULTS, servlet)) {
      for (String style : java.util.List.of("/complete/h", "/dispatch/h")) {
        servlet.bodies.put(style, "hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String tag = header(get(server.uri(style)), "ETag");
        RawHttp.Response r = RawHttp.exchange(server.uri("/").getPort(), "HEAD", style, java.util.List.of(), null);
        assertThat(r.status()).as(style).isEqualTo(200);
        assertThat(r.header("Content-Length")).as(style).isEqualTo("5");
        assertThat(r.header("ETag")).as(style).isEqualTo(tag);
      }
    }
  }

  /** An async handler that answers with sendError from its worker, then completes: the error status. */
  static final class AsyncErrorServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
      AsyncContext async = req.startAsync();
      new Thread(() -> {
        try {
          Thread.sleep(50);
          ((HttpServletResponse) async.getResponse()).sendError(409, "conflict");
        } catch (Exception e) {
          // fails the test through the status
        } finally {
          async.complete();
        }
      }).start();
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void sendErrorFromAnAsyncWorkerIsTheAnswer(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().readPermits(true).build(),
        new AsyncErrorServlet())) {
      assertThat(get(server.uri("/x")).statusCode()).isEqualTo(409);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }
}
