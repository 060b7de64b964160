package dev.etagguard.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.etagguard.GuardEngine;
import dev.etagguard.problem.Problem;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.Http;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.SlowContentScenarios;
import dev.etagguard.testing.Wire;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Option minContentRate against handlers that read the content in other ways than a blocking
 * stream read to the end: a ReadListener, getReader(), small reads with pauses of their own, no
 * read at all; a slow Expect client whose write first waited for its turn; the option off.
 */
class ContentRateProbeTest {

  /** How the handler reads a PUT's content. */
  enum Mode { STREAM, READER, LISTENER, PAUSING, NEVER }

  /** Stores PUT content by path, read as {@link #mode} says; {@code ?pause=MS} sleeps before reading. */
  static final class ProbeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, byte[]> store = new ConcurrentHashMap<>();
    volatile Mode mode = Mode.STREAM;

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String path = req.getPathInfo() == null ? req.getServletPath() : req.getServletPath() + req.getPathInfo();
      if (req.getParameter("pause") != null) {
        sleep(Long.parseLong(req.getParameter("pause")));
      }
      switch (mode) {
        case STREAM -> stored(path, req.getInputStream().readAllBytes(), resp);
        case READER -> {
          StringBuilder text = new StringBuilder();
          Reader reader = req.getReader();
          char[] buffer = new char[256];
          for (int n; (n = reader.read(buffer)) != -1; ) {
            text.append(buffer, 0, n);
          }
          stored(path, text.toString().getBytes(StandardCharsets.UTF_8), resp);
        }
        case PAUSING -> {
          // Small reads, each followed by the handler's own work (a database call).
          ByteArrayOutputStream body = new ByteArrayOutputStream();
          InputStream in = req.getInputStream();
          byte[] buffer = new byte[5];
          for (int n; (n = in.read(buffer)) != -1; ) {
            body.write(buffer, 0, n);
            sleep(300);
          }
          stored(path, body.toByteArray(), resp);
        }
        case NEVER -> resp.setStatus(204);
        case LISTENER -> {
          AsyncContext async = req.startAsync();
          async.setTimeout(30_000);
          ServletInputStream in = req.getInputStream();
          ByteArrayOutputStream body = new ByteArrayOutputStream();
          in.setReadListener(new ReadListener() {
            @Override
            public void onDataAvailable() throws IOException {
              byte[] buffer = new byte[1024];
              while (in.isReady() && !in.isFinished()) {
                int n = in.read(buffer);
                if (n < 0) {
                  break;
                }
                body.write(buffer, 0, n);
              }
            }

            @Override
            public void onAllDataRead() throws IOException {
              stored(path, body.toByteArray(), (HttpServletResponse) async.getResponse());
              async.complete();
            }

            @Override
            public void onError(Throwable t) {
              async.complete(); // nothing stored, nothing written: the guard answers
            }
          });
        }
      }
    }

    private void stored(String path, byte[] body, HttpServletResponse resp) {
      resp.setStatus(store.put(path, body) == null ? 201 : 204);
    }

    private static void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private EmbeddedServer server;
  private ProbeServlet servlet;
  private GuardEngine engine;

  private void start(EmbeddedServer.Kind kind, Mode mode, GuardSettings settings) throws Exception {
    servlet = new ProbeServlet();
    servlet.mode = mode;
    engine = GuardEngine.create(settings);
    server = kind.start(servlet, new ETagGuardFilter(engine));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (engine != null) {
        Permits.assertNoneLeft(engine.sequencer());
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  /** A handler reading with a ReadListener: a client trickling after 100 Continue gets 408, the next writer its turn. */
  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void readListenerHandlerSlowExpectClientGets408(EmbeddedServer.Kind kind) throws Exception {
    start(kind, Mode.LISTENER, SlowContentScenarios.settings());
    SlowContentScenarios.expectContinue(server, engine.sequencer(), servlet.store::get);
  }

  /** A handler reading through getReader(): the same bound. */
  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void readerHandlerSlowExpectClientGets408(EmbeddedServer.Kind kind) throws Exception {
    start(kind, Mode.READER, SlowContentScenarios.settings());
    SlowContentScenarios.expectContinue(server, engine.sequencer(), servlet.store::get);
  }

  /**
   * A client sending at twice the rate (10 bytes every 100 ms after the 100 Continue) to a
   * handler that reads 5 bytes, then works 300 ms: the handler's time is not the client's, the
   * write succeeds.
   */
  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void handlerPausingBetweenSmallReadsDoesNotTrip(EmbeddedServer.Kind kind) throws Exception {
    start(kind, Mode.PAUSING, SlowContentScenarios.settings());
    byte[] content = "0123456789".repeat(10).getBytes(StandardCharsets.US_ASCII);
    Wire.Response answer = expectWrite("/pausing", content, 10, 100);
    assertThat(answer.status()).as("the write's answer").isEqualTo(201);
    assertThat(servlet.store.get("/pausing")).isEqualTo(content);
  }

  /** minContentRate=0: a client sending 4 bytes a second apart after 100 Continue still writes. */
  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void zeroRateNeverTrips(EmbeddedServer.Kind kind) throws Exception {
    start(kind, Mode.STREAM, GuardSettings.builder().minContentRate(0).build());
    byte[] content = "abcd".getBytes(StandardCharsets.US_ASCII);
    Wire.Response answer = expectWrite("/zero", content, 1, 1000);
    assertThat(answer.status()).as("the write's answer").isEqualTo(201);
    assertThat(servlet.store.get("/zero")).isEqualTo(content);
  }

  /** A handler that never reads the content of an Expect client answers at once; nothing trips. */
  @ParameterizedTest
  @EnumSource(value = EmbeddedServer.Kind.class, names = "JETTY") // Tomcat answers 100 Continue before any filter (README "Limits")
  void handlerThatNeverReadsAnswersAtOnce(EmbeddedServer.Kind kind) throws Exception {
    start(kind, Mode.NEVER, SlowContentScenarios.settings());
    try (Socket client = new Socket("127.0.0.1", server.base().getPort())) {
      client.setSoTimeout(10_000);
      client.getOutputStream().write(("PUT /never HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
          + "Content-Length: 100\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      Wire.Response answer = SlowContentScenarios.readResponse(client.getInputStream());
      assertThat(answer.status()).isEqualTo(204);
    }
  }

  /**
   * README: a client that waits to hear first (Expect: 100-continue) is answered before it sends
   * anything, so a 412 costs no upload: the first thing it hears is the 412, not a 100 Continue.
   */
  @ParameterizedTest
  @EnumSource(value = EmbeddedServer.Kind.class, names = "JETTY") // Tomcat answers 100 Continue before any filter (README "Limits")
  void expectClientHearsThe412BeforeAny100Continue(EmbeddedServer.Kind kind) throws Exception {
    start(kind, Mode.STREAM, SlowContentScenarios.settings());
    assertThat(Http.put(server.uri("/refused"), "v1").statusCode()).isEqualTo(201);
    try (Socket client = new Socket("127.0.0.1", server.base().getPort())) {
      client.setSoTimeout(10_000);
      client.getOutputStream().write(("PUT /refused HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
          + "If-Match: \"nope\"\r\nContent-Length: 100\r\nContent-Type: application/octet-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      assertThat(SlowContentScenarios.readResponse(client.getInputStream()).status()).as("the first answer the client hears").isEqualTo(412);
    }
  }

  /**
   * A slow Expect client whose write first waited for its turn (suspended on Tomcat, resumed in
   * an ASYNC dispatch): it still gets 408 at the rate, and the next writer its turn.
   */
  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void slowExpectClientThatWaitedForItsTurnGets408(EmbeddedServer.Kind kind) throws Exception {
    start(kind, Mode.STREAM, SlowContentScenarios.settings());
    String path = "/waited";
    CompletableFuture<HttpResponse<byte[]>> first = CompletableFuture.supplyAsync(() -> {
      try {
        return Http.put(server.uri(path + "?pause=1500"), "first");
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(5))).isEqualTo(1);
    try (Socket slow = new Socket("127.0.0.1", server.base().getPort())) {
      slow.setSoTimeout(15_000);
      OutputStream out = slow.getOutputStream();
      out.write(("PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 100\r\n"
          + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(Permits.awaitWaiting(engine.sequencer(), 1, Duration.ofSeconds(5))).as("the slow write waits").isEqualTo(1);
      assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      InputStream in = slow.getInputStream();
      assertThat(SlowContentScenarios.readResponse(in).status()).as("100 Continue once its turn came").isEqualTo(100);
      Thread trickle = trickle(slow);
      try {
        long began = System.nanoTime();
        HttpResponse<byte[]> fast = Http.put(server.uri(path), "fast");
        Duration waited = Duration.ofNanos(System.nanoTime() - began);
        assertThat(fast.statusCode()).as("the next writer had its turn (%s after it asked)", waited).isEqualTo(204);
        assertThat(waited).isLessThan(SlowContentScenarios.BOUND.plusMillis(1500));
        Wire.Response answer = SlowContentScenarios.readResponse(in);
        assertThat(answer.status()).as("the slow client's answer").isEqualTo(408);
        assertThat(answer.header("content-type")).isEqualTo(Problem.MEDIA_TYPE);
        assertThat(answer.header("connection")).isEqualToIgnoringCase("close");
      } finally {
        trickle.interrupt();
      }
    }
    assertThat(servlet.store.get(path)).isEqualTo("fast".getBytes(StandardCharsets.US_ASCII));
  }

  private static Thread trickle(Socket slow) {
    Thread t = new Thread(() -> {
      try {
        for (int i = 0; i < 100; i++) {
          Thread.sleep(1000);
          slow.getOutputStream().write('x');
          slow.getOutputStream().flush();
        }
      } catch (IOException | InterruptedException e) {
        // closed by the server, or the test ended
      }
    }, "slow-client");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** An Expect client that sends {@code content} in pieces of {@code piece} bytes, {@code everyMillis} apart. */
  private Wire.Response expectWrite(String path, byte[] content, int piece, long everyMillis) throws Exception {
    try (Socket client = new Socket("127.0.0.1", server.base().getPort())) {
      client.setSoTimeout(30_000);
      OutputStream out = client.getOutputStream();
      out.write(("PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: "
          + content.length + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = client.getInputStream();
      assertThat(SlowContentScenarios.readResponse(in).status()).as("100 Continue").isEqualTo(100);
      for (int sent = 0; sent < content.length; sent += piece) {
        Thread.sleep(everyMillis);
        out.write(content, sent, Math.min(piece, content.length - sent));
        out.flush();
      }
      return SlowContentScenarios.readResponse(in);
    }
  }
}
