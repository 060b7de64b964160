package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property 3 of docs/guarantees.md: whatever goes wrong inside a guarded request, its permit is
 * released, the next writer of the resource proceeds at once, and the validators stay true (a tag
 * made stale by a write still fails). Each fault runs on every adapter, with read permits on so
 * that reads hold permits too, and a short {@code permitTimeout}: a permit left held would turn the
 * next write into a 503 instead of letting it wait for the default 10 s.
 */
class PermitReleaseTest {

  private static final String R = "/f/r";
  private static final Duration SETTLE = Duration.ofSeconds(20);

  /** One fault: what the client does, and what it must see when the request ends. */
  private record Fault(String name, FaultAction action) {
  }

  @FunctionalInterface
  private interface FaultAction {
    /** Runs the fault against the resource whose current tag is {@code tag}. */
    void run(GuardedServer server, String tag, SoftAssertions softly) throws Exception;
  }

  private static List<Fault> faults() {
    List<Fault> faults = new ArrayList<>();
    faults.add(new Fault("handler throws", (s, tag, softly) ->
        softly.assertThat(put(s, R + "?throw", tag, "thrown").status()).as("handler throws").isEqualTo(500)));
    faults.add(new Fault("handler answers 500 after storing", (s, tag, softly) ->
        softly.assertThat(put(s, R + "?status=500", tag, "stored-with-500").status()).isEqualTo(500)));
    faults.add(new Fault("handler calls sendError(500)", (s, tag, softly) ->
        softly.assertThat(put(s, R + "?error=500", tag, "send-error").status()).isEqualTo(500)));
    faults.add(new Fault("client disconnects mid-request-body", (s, tag, softly) -> {
      try (Socket socket = connect(s)) {
        OutputStream out = socket.getOutputStream();
        out.write(RawHttp.head("PUT", R, List.of(new RawHttp.Field("If-Match", tag)), 1_000_000));
        out.write("only the first bytes".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    }));
    faults.add(new Fault("client disconnects mid-response (GET, streamed beyond the buffer)", (s, tag, softly) ->
        readALittle(s, "GET", R + "?big=8000000", List.of(), null)));
    faults.add(new Fault("client disconnects mid-response (POST)", (s, tag, softly) ->
        readALittle(s, "POST", R + "?bigpost=50000000", List.of(new RawHttp.Field("If-Match", tag)), new byte[0])));
    faults.add(new Fault("async write times out", (s, tag, softly) ->
        softly.assertThat(put(s, R + "?async&timeout=200", tag, "timed-out").status()).isGreaterThanOrEqualTo(500)));
    // POST: Jetty renders error pages for GET, HEAD and POST only (ErrorHandler.errorPageForMethod).
    faults.add(new Fault("error page for a write (sendError)", (s, tag, softly) -> {
      RawHttp.Response r = post(s, R + "?error=503", tag);
      softly.assertThat(r.status()).isEqualTo(503);
      softly.assertThat(r.text()).as("the container's error page reaches the client").contains(FaultServlet.ERROR_PAGE_MARKER);
    }));
    faults.add(new Fault("error page for a write (handler throws)", (s, tag, softly) -> {
      RawHttp.Response r = post(s, R + "?throw", tag);
      softly.assertThat(r.status()).isEqualTo(500);
      softly.assertThat(r.text()).contains(FaultServlet.ERROR_PAGE_MARKER);
    }));
    faults.add(new Fault("error page for a read", (s, tag, softly) -> {
      RawHttp.Response r = RawHttp.exchange(s.port(), "GET", R + "?error=503", List.of(), null);
      softly.assertThat(r.status()).isEqualTo(503);
      softly.assertThat(r.text()).contains(FaultServlet.ERROR_PAGE_MARKER);
    }));
    faults.add(new Fault("forward inside a guarded write", (s, tag, softly) ->
        softly.assertThat(put(s, R + "?forward=" + R, tag, "forwarded").status()).isIn(200, 204)));
    faults.add(new Fault("include inside a guarded write", (s, tag, softly) ->
        softly.assertThat(put(s, R + "?include=" + R, tag, "included").status()).isIn(200, 204)));
    faults.add(new Fault("forward inside a guarded read", (s, tag, softly) ->
        softly.assertThat(RawHttp.exchange(s.port(), "GET", "/f/other?forward=" + R, List.of(), null).status())
            .isEqualTo(200)));
    faults.add(new Fault("include inside a guarded read", (s, tag, softly) ->
        softly.assertThat(RawHttp.exchange(s.port(), "GET", "/f/other?include=" + R, List.of(), null).status())
            .isEqualTo(200)));
    return faults;
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void everyFaultReleasesItsPermit(GuardedServer.Adapter adapter) throws Exception {
    GuardEngine engine = GuardEngine.create(GuardSettings.builder().guardedPaths("/f/*").readPermits(true)
        .permitTimeout(Duration.ofSeconds(2)).maxBufferSize(64 * 1024).build());
    SoftAssertions softly = new SoftAssertions();
    try (GuardedServer server = GuardedServer.start(adapter, engine, new FaultServlet(),
        Map.of(500, "/errors/page", 503, "/errors/page"))) {
      assertThat(RawHttp.exchange(server.port(), "PUT", R, List.of(new RawHttp.Field("If-None-Match", "*")),
          "created".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(201);
      int round = 0;
      for (Fault fault : faults()) {
        String before = currentTag(server);
        fault.action().run(server, before, softly);
        softly.assertThat(Permits.awaitHeld(engine.sequencer(), 0, SETTLE)).as("%s: permits held after it", fault.name())
            .isZero();
        nextWriterProceeds(server, fault.name() + " (" + adapter + ")", round++, softly);
      }
    }
    softly.assertAll();
  }

  /**
   * The next writer gets the resource at once, its write shows, and the tag it replaced is stale:
   * a PUT with it fails with 412.
   */
  private static void nextWriterProceeds(GuardedServer server, String fault, int round, SoftAssertions softly)
      throws IOException {
    String tag = currentTag(server);
    String body = "after fault " + round;
    RawHttp.Response write = put(server, R, tag, body);
    softly.assertThat(write.status()).as("%s: the next writer proceeds (not 503)", fault).isIn(200, 204);
    softly.assertThat(put(server, R, tag, "stale").status()).as("%s: the replaced tag is stale", fault).isEqualTo(412);
    RawHttp.Response read = RawHttp.exchange(server.port(), "GET", R, List.of(), null);
    softly.assertThat(read.text()).as("%s: the next write shows", fault).isEqualTo(body);
  }

  private static String currentTag(GuardedServer server) throws IOException {
    RawHttp.Response read = RawHttp.exchange(server.port(), "GET", R, List.of(), null);
    assertThat(read.status()).as("GET %s", R).isEqualTo(200);
    return read.header("ETag");
  }

  private static RawHttp.Response put(GuardedServer server, String target, String tag, String body) throws IOException {
    return RawHttp.exchange(server.port(), "PUT", target, List.of(new RawHttp.Field("If-Match", tag)),
        body.getBytes(StandardCharsets.UTF_8));
  }

  private static RawHttp.Response post(GuardedServer server, String target, String tag) throws IOException {
    return RawHttp.exchange(server.port(), "POST", target, List.of(new RawHttp.Field("If-Match", tag)),
        "posted".getBytes(StandardCharsets.UTF_8));
  }

  private static Socket connect(GuardedServer server) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
    socket.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
    return socket;
  }

  /** Sends a request, reads the first bytes of a large response, and closes the connection. */
  private static void readALittle(GuardedServer server, String method, String target, List<RawHttp.Field> fields,
      byte[] body) throws IOException {
    try (Socket socket = connect(server)) {
      socket.setReceiveBufferSize(4096);
      OutputStream out = socket.getOutputStream();
      out.write(RawHttp.head(method, target, fields, body == null ? -1 : body.length));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] some = new byte[4096];
      int n = in.read(some);
      assertThat(n).as("%s %s answers", method, target).isPositive();
      socket.setSoLinger(true, 0); // reset, as a client that goes away does
    }
  }
}
