package dev.etagguard.jetty;

import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.SlowContentScenarios;
import dev.etagguard.testing.Wire;
import dev.etagguard.support.Builtins;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A write's content arrives before its permit is taken (issue 18): a client that sends its body
 * slowly holds no permit, so other writers of the resource are not kept waiting by it.
 */
class SlowClientTest {

  private JettyServer server;
  private GuardEngine engine;

  private void start(Handler handler, GuardSettings settings) throws Exception {
    engine = GuardEngine.create(settings);
    ETagGuardHandler guard = new ETagGuardHandler(engine);
    guard.setHandler(handler);
    server = new JettyServer(guard);
  }

  @AfterEach
  void stop() throws Exception {
    if (engine != null) {
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).as("permits held after the test")
          .isZero();
    }
    if (server != null) {
      server.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void aStalledUploadHoldsNoPermitAndAnotherWriterIsNotKeptWaiting() throws Exception {
    CoreStore store = new CoreStore();
    start(store, GuardSettings.builder().permitTimeout(Duration.ofSeconds(3)).build());
    try (Socket slow = new Socket("127.0.0.1", server.port())) {
      slow.setSoTimeout(10_000);
      OutputStream out = slow.getOutputStream();
      out.write(("PUT /r/a HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: *\r\nContent-Length: 100\r\n"
          + "Connection: close\r\n\r\nslow!").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(300);
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(2)))
          .as("no permit held while the slow client sends").isZero();

      long began = System.nanoTime();
      HttpResponse<byte[]> fast = put(server.uri("/r/a"), "fast", "If-None-Match", "*");
      long tookMillis = (System.nanoTime() - began) / 1_000_000;
      assertThat(fast.statusCode()).isEqualTo(201);
      assertThat(tookMillis).as("the other writer did not wait for the stalled one").isLessThan(1_500);
      // Released as its exchange completes, which may be a moment after the client read the 201.
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(2))).as("the fast writer's permit released")
          .isZero();

      out.write("x".repeat(95).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Wire.Response answer = readResponse(slow.getInputStream());
      assertThat(answer.status()).as("the resource exists by now").isEqualTo(412);
    }
    assertThat(new String(store.store.get("/r/a"), StandardCharsets.UTF_8)).isEqualTo("fast");
  }

  @Test
  void aLargeBodyIsSpooledToATemporaryFileArrivesIntactAndTheFileIsDeleted() throws Exception {
    CoreStore store = new CoreStore();
    start(store, GuardSettings.builder().build());
    byte[] body = new byte[300 * 1024];
    new Random(18).nextBytes(body);
    Set<Path> before = spoolFiles();
    try (Socket client = new Socket("127.0.0.1", server.port())) {
      client.setSoTimeout(10_000);
      OutputStream out = client.getOutputStream();
      out.write(("PUT /big HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: *\r\nContent-Length: " + body.length
          + "\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      int first = 200 * 1024;
      out.write(body, 0, first);
      out.flush();
      Set<Path> during = awaitNewSpoolFile(before);
      assertThat(during).as("content beyond 64 KiB goes to a temporary file").isNotEmpty();
      assertThat(engine.sequencer().heldPermits()).as("no permit while the body arrives").isZero();

      out.write(body, first, body.length - first);
      out.flush();
      Wire.Response answer = readResponse(client.getInputStream());
      assertThat(answer.status()).isEqualTo(201);
      assertThat(answer.header("ETag")).isEqualTo(tagOf(body));
    }
    assertThat(store.store.get("/big")).as("the handler read the bytes sent").isEqualTo(body);
    assertThat(awaitNoNewSpoolFiles(before)).as("temporary files left behind").isEmpty();
  }

  @Test
  void formContentSentSlowlyReachesAServletBehindTheGuard() throws Exception {
    ServletContextHandler context = new ServletContextHandler();
    context.addServlet(new ServletHolder(new FormServlet()), "/*");
    start(context, GuardSettings.builder().build());
    String form = "a=1&b=x+y&c=%C3%A9";
    try (Socket slow = new Socket("127.0.0.1", server.port())) {
      slow.setSoTimeout(10_000);
      OutputStream out = slow.getOutputStream();
      out.write(("PUT /f/one HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: *\r\nContent-Length: " + form.length()
          + "\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n" + form.substring(0, 5))
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(300);
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(2)))
          .as("no permit held while the form arrives").isZero();
      out.write(form.substring(5).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Wire.Response answer = readResponse(slow.getInputStream());
      assertThat(answer.status()).isEqualTo(201);
      assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo("PUT a=1 b=x y c=\u00e9");
    }
    HttpResponse<byte[]> post = dev.etagguard.testing.Http.send("POST", server.uri("/f/two"),
        java.util.Map.of("Content-Type", List.of("application/x-www-form-urlencoded"), "If-None-Match", List.of("*")),
        form.getBytes(StandardCharsets.US_ASCII));
    assertThat(post.statusCode()).isEqualTo(201);
    assertThat(new String(post.body(), StandardCharsets.UTF_8)).isEqualTo("POST a=1 b=x y c=\u00e9");
    assertThat(header(post, "Content-Type")).startsWith("text/plain");
  }

  @Test
  void aClientThatDisconnectsWhileSendingLeavesNoPermitAndNoFile() throws Exception {
    CoreStore store = new CoreStore();
    start(store, GuardSettings.builder().build());
    Set<Path> before = spoolFiles();
    try (Socket gone = new Socket("127.0.0.1", server.port())) {
      OutputStream out = gone.getOutputStream();
      out.write(("PUT /d HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: *\r\nContent-Length: 1000000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[100 * 1024]);
      out.flush();
      assertThat(awaitNewSpoolFile(before)).isNotEmpty();
      assertThat(engine.sequencer().heldPermits()).isZero();
    }
    assertThat(awaitNoNewSpoolFiles(before)).as("temporary files left behind").isEmpty();
    assertThat(engine.sequencer().heldPermits()).isZero();
    assertThat(put(server.uri("/d"), "next", "If-None-Match", "*").statusCode()).isEqualTo(201);
    assertThat(store.store.get("/d")).isEqualTo("next".getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A client that waits to hear first ({@code Expect: 100-continue}) hears a refusal before it
   * sends anything, and is asked for its content only when the write goes ahead.
   */
  @Test
  void expectContinueHearsARefusalBeforeSendingItsContent() throws Exception {
    CoreStore store = new CoreStore();
    start(store, GuardSettings.builder().build());
    store.store.put("/e", "old".getBytes(StandardCharsets.UTF_8));
    try (Socket client = new Socket("127.0.0.1", server.port())) {
      client.setSoTimeout(10_000);
      OutputStream out = client.getOutputStream();
      out.write(("PUT /e HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-Match: \"stale\"\r\nExpect: 100-continue\r\n"
          + "Content-Length: 4\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readResponse(client.getInputStream()).status()).as("412 before any content").isEqualTo(412);
    }
    try (Socket client = new Socket("127.0.0.1", server.port())) {
      client.setSoTimeout(10_000);
      OutputStream out = client.getOutputStream();
      out.write(("PUT /f HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: *\r\nExpect: 100-continue\r\n"
          + "Content-Length: 4\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = client.getInputStream();
      byte[] interim = new byte["HTTP/1.1 100 Continue\r\n\r\n".length()];
      int n = 0;
      while (n < interim.length) {
        int r = in.read(interim, n, interim.length - n);
        assertThat(r).as("100 Continue before the body").isPositive();
        n += r;
      }
      assertThat(new String(interim, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 100");
      out.write("body".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readResponse(in).status()).isEqualTo(201);
    }
    assertThat(store.store.get("/f")).isEqualTo("body".getBytes(StandardCharsets.UTF_8));
    assertThat(store.store.get("/e")).isEqualTo("old".getBytes(StandardCharsets.UTF_8));
  }

  /** Option minContentRate: a client with Expect: 100-continue sending one byte a second is ended at the rate. */
  @Test
  void expectContinueContentSentSlowlyEndsTheWriteAtTheRate() throws Exception {
    CoreStore store = new CoreStore();
    start(store, SlowContentScenarios.settings());
    SlowContentScenarios.expectContinue(server, engine.sequencer(), store.store::get);
  }

  /** Option minContentRate: content beyond the part received before the permit, sent slowly, is ended at the rate. */
  @Test
  void contentBeyondTheReceivedPartSentSlowlyEndsTheWriteAtTheRate() throws Exception {
    CoreStore store = new CoreStore();
    start(store, SlowContentScenarios.settings());
    SlowContentScenarios.beyondTheReceivedPart(server, engine.sequencer(), SpooledRequest.LIMIT, store.store::get);
  }

  /** Answers a write with its form parameters; GET finds nothing. */
  static final class FormServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if ("GET".equals(req.getMethod()) || "HEAD".equals(req.getMethod())) {
        resp.sendError(404);
        return;
      }
      resp.setStatus(201);
      resp.setContentType("text/plain;charset=UTF-8");
      resp.getWriter().write(req.getMethod() + " a=" + req.getParameter("a") + " b=" + req.getParameter("b")
          + " c=" + req.getParameter("c"));
    }
  }

  private static String tagOf(byte[] body) {
    EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
    d.update(body, 0, body.length);
    EntityTag tag = d.finish();
    return tag.toString();
  }

  private static Set<Path> spoolFiles() throws IOException {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith(SpooledRequest.TEMP_PREFIX))
          .collect(Collectors.toCollection(HashSet::new));
    }
  }

  /** Waits (at most 5 s) until no spool file made since {@code before} is left; returns those still there. */
  private static Set<Path> awaitNoNewSpoolFiles(Set<Path> before) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    Set<Path> left = newSpoolFiles(before);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
      left = newSpoolFiles(before);
    }
    return left;
  }

  private static Set<Path> newSpoolFiles(Set<Path> before) throws IOException {
    Set<Path> now = spoolFiles();
    now.removeAll(before);
    return now;
  }

  private static Set<Path> awaitNewSpoolFile(Set<Path> before) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    Set<Path> found = newSpoolFiles(before);
    while (found.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
      found = newSpoolFiles(before);
    }
    return found;
  }

  /** Reads a response to the end of the connection (the request asked to close it). */
  private static Wire.Response readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    byte[] bytes = all.toByteArray();
    int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(end).as("a complete header block in %s", new String(bytes, StandardCharsets.ISO_8859_1))
        .isGreaterThan(0);
    String[] lines = new String(bytes, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    List<String> headerLines = new ArrayList<>(Arrays.asList(lines).subList(1, lines.length));
    return new Wire.Response(status, headerLines, Arrays.copyOfRange(bytes, end + 4, bytes.length), false);
  }

  private static int indexOf(byte[] bytes, byte[] what) {
    outer:
    for (int i = 0; i + what.length <= bytes.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (bytes[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
