package dev.etagguard.servlet;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ServerUnderTest;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Guarded requests whose handler goes async and ends otherwise than by completing: a timeout
 * nobody answers, a timeout the handler answers itself, a client gone while an async worker
 * streams. Each releases its permit once, leaves no stale validators behind, and gets the answer
 * the same handler gives without the guard. On real Tomcat and Jetty.
 */
class AsyncEndingsTest {

  /**
   * Stores a PUT's content, then goes async: {@code end=timeout} never completes,
   * {@code end=answer503} answers 503 from its timeout listener, {@code end=stream} streams a
   * large answer from a worker until the client is gone; without {@code end} it answers at once. GET serves the stored body;
   * {@code end=timeout} on a GET goes async and never completes.
   */
  static final class AsyncServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, byte[]> store = new ConcurrentHashMap<>();
    final transient CountDownLatch workerDone = new CountDownLatch(1);

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if ("timeout".equals(req.getParameter("end"))) {
        req.startAsync().setTimeout(200);
        return;
      }
      byte[] body = store.get(req.getPathInfo());
      if (body == null) {
        resp.sendError(404);
        return;
      }
      resp.getOutputStream().write(body);
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      boolean created = store.put(req.getPathInfo(), req.getInputStream().readAllBytes()) == null;
      if (req.getParameter("end") == null) {
        resp.setStatus(created ? 201 : 204);
        return;
      }
      AsyncContext async = req.startAsync();
      async.setTimeout(200);
      switch (String.valueOf(req.getParameter("end"))) {
        case "answer503" -> async.addListener((OnTimeout) event -> {
          ((HttpServletResponse) event.getAsyncContext().getResponse()).sendError(503);
          event.getAsyncContext().complete();
        });
        case "stream" -> {
          async.setTimeout(30_000);
          async.start(() -> {
            try {
              OutputStream out = async.getResponse().getOutputStream();
              byte[] chunk = new byte[16 * 1024];
              for (int i = 0; i < 10_000; i++) {
                out.write(chunk);
                out.flush();
              }
            } catch (IOException | RuntimeException gone) {
              // the client went away
            } finally {
              try {
                async.complete();
              } catch (IllegalStateException completedOnError) {
                // Tomcat ended the request when the client went (onError): too late to complete
              } finally {
                workerDone.countDown();
              }
            }
          });
        }
        default -> {
          // end=timeout: never completes, the container times it out
        }
      }
    }
  }

  /** A listener that acts on a timeout only. */
  @FunctionalInterface
  interface OnTimeout extends AsyncListener {
    @Override
    default void onComplete(AsyncEvent event) {
    }

    @Override
    default void onError(AsyncEvent event) {
    }

    @Override
    default void onStartAsync(AsyncEvent event) {
    }
  }

  private EmbeddedServer server;
  private AsyncServlet servlet;
  private GuardEngine engine;

  private void start(EmbeddedServer.Kind kind, GuardSettings settings) throws Exception {
    servlet = new AsyncServlet();
    engine = GuardEngine.create(settings);
    server = kind.start(servlet, new ETagGuardFilter(engine));
  }

  @AfterEach
  @SuppressWarnings("try") // the resources are only closed: the server, then the engine
  void stop() throws Exception {
    try (GuardEngine closedLast = engine; ServerUnderTest closedFirst = server) {
      if (closedLast != null) {
        Permits.assertNoneLeft(closedLast.sequencer());
      }
    }
  }

  /** The tag of {@code /a} once it holds "v1", known to the guard's store. */
  private String v1() throws Exception {
    servlet.store.put("/a", "v1".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> read = get(server.uri("/a"));
    assertThat(text(read)).isEqualTo("v1");
    return header(read, "ETag");
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void aWriteWhoseAsyncProcessingTimesOutReleasesItsPermitAndForgetsTheResource(EmbeddedServer.Kind kind)
      throws Exception {
    start(kind, GuardSettings.DEFAULTS);
    String v1 = v1();
    HttpResponse<byte[]> timedOut = put(server.uri("/a?end=timeout"), "v2", "If-Match", v1);
    assertThat(timedOut.statusCode()).as("the container's answer to a timeout nobody handled").isEqualTo(500);
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    assertThat(put(server.uri("/a"), "v3", "If-Match", v1).statusCode())
        .as("the old tag, after a write whose outcome the guard does not know").isEqualTo(412);
    assertThat(new String(servlet.store.get("/a"), StandardCharsets.UTF_8)).isEqualTo("v2");
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void aWriteWhoseTimeoutListenerAnswers503GetsThat503(EmbeddedServer.Kind kind) throws Exception {
    start(kind, GuardSettings.DEFAULTS);
    String v1 = v1();
    HttpResponse<byte[]> answered = put(server.uri("/a?end=answer503"), "v2", "If-Match", v1);
    assertThat(answered.statusCode()).isEqualTo(503);
    assertThat(put(server.uri("/a"), "v3", "If-Match", v1).statusCode()).isEqualTo(412);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void aWriteWhoseClientLeavesWhileAnAsyncWorkerStreamsReleasesItsPermit(EmbeddedServer.Kind kind)
      throws Exception {
    start(kind, GuardSettings.builder().maxBufferSize(1024).build());
    String v1 = v1();
    try (Socket client = new Socket("127.0.0.1", server.base().getPort())) {
      client.setSoTimeout(10_000);
      OutputStream out = client.getOutputStream();
      out.write(("PUT /a?end=stream HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-Match: " + v1
          + "\r\nContent-Length: 2\r\n\r\nv2").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = client.getInputStream();
      assertThat(in.readNBytes(64 * 1024)).as("the streamed answer begins").hasSize(64 * 1024);
    }
    assertThat(servlet.workerDone.await(20, TimeUnit.SECONDS)).as("the worker saw the client go").isTrue();
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    assertThat(put(server.uri("/a"), "v3", "If-Match", v1).statusCode()).isEqualTo(412);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void aReadUnderReadPermitsWhoseAsyncProcessingTimesOutReleasesItsPermit(EmbeddedServer.Kind kind)
      throws Exception {
    start(kind, GuardSettings.builder().readPermits(true).permitTimeout(Duration.ofSeconds(2)).build());
    v1();
    HttpResponse<byte[]> timedOut = get(server.uri("/a?end=timeout"));
    assertThat(timedOut.statusCode()).as("the container's answer to a timeout nobody handled").isEqualTo(500);
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    assertThat(put(server.uri("/a"), "v2").statusCode()).isEqualTo(204);
  }
}
