package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import dev.etagguard.ContentRate;
import dev.etagguard.problem.Problem;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.WriteSequencer;

/**
 * Option {@code minContentRate} over real sockets, for every adapter: a write whose content is
 * read under its permit (after {@code Expect: 100-continue}, or beyond the part received before
 * the permit) from a client sending one byte a second holds the permit no longer than the
 * allowance plus what the rate allows; the next writer of the resource gets its turn within that
 * bound instead of 503 after {@code permitTimeout}, and the slow client gets 408 with a problem
 * body. The handler reads the content to its end and stores it ({@link ResourceServlet} or an
 * adapter's own), so a write that ran would leave the slow client's bytes.
 */
public final class SlowContentScenarios {

  /** The rate the scenarios set: 100 bytes take 2 s at it. */
  public static final long RATE = 50;

  /** The longest the slow client's write may hold the permit: the allowance plus 100 bytes at {@link #RATE}. */
  public static final Duration BOUND = ContentRate.ALLOWANCE.plus(Duration.ofMillis(100 * 1000 / RATE));

  /** Long enough that the other writer's wait, cut short by the rate, is never a 503. */
  public static final Duration PERMIT_TIMEOUT = BOUND.plusSeconds(3);

  /** Time for a busy machine: scheduling, a GC, the other writer's own request. */
  private static final Duration SLACK = Duration.ofMillis(1500);

  private SlowContentScenarios() {
  }

  /** The settings the scenarios run with. */
  public static GuardSettings settings() {
    return GuardSettings.builder().minContentRate(RATE).permitTimeout(PERMIT_TIMEOUT).build();
  }

  /**
   * A client with {@code Expect: 100-continue} and {@code Content-Length: 100} sends one byte a
   * second after the 100 Continue.
   *
   * @param server the server, with {@link #settings()}, whose handler stores PUT content by path
   * @param sequencer its engine's sequencer
   * @param stored what the handler stored at a path, or {@code null}
   */
  public static void expectContinue(ServerUnderTest server, WriteSequencer sequencer,
      Function<String, byte[]> stored) throws Exception {
    String path = "/slow/expect";
    try (Socket slow = new Socket("127.0.0.1", server.base().getPort())) {
      slow.setSoTimeout(10_000);
      OutputStream out = slow.getOutputStream();
      out.write(("PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 100\r\n"
          + "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = slow.getInputStream();
      assertThat(readResponse(in).status()).as("100 Continue").isEqualTo(100);
      tricklingWhileAnotherWrites(server, sequencer, slow, path, in);
    }
    assertThat(stored.apply(path)).as("the other writer's content, not the slow client's")
        .isEqualTo("fast".getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * A client sends {@code spooled} bytes at once, what the guard receives before the permit, then
   * one byte a second of the 100 bytes that remain.
   */
  public static void beyondTheReceivedPart(ServerUnderTest server, WriteSequencer sequencer, long spooled,
      Function<String, byte[]> stored) throws Exception {
    String path = "/slow/large";
    try (Socket slow = new Socket("127.0.0.1", server.base().getPort())) {
      slow.setSoTimeout(10_000);
      OutputStream out = slow.getOutputStream();
      out.write(("PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + (spooled + 100)
          + "\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] block = new byte[64 * 1024];
      for (long sent = 0; sent < spooled; sent += block.length) {
        out.write(block, 0, (int) Math.min(block.length, spooled - sent));
      }
      out.flush();
      tricklingWhileAnotherWrites(server, sequencer, slow, path, slow.getInputStream());
    }
    assertThat(stored.apply(path)).as("the other writer's content, not the slow client's")
        .isEqualTo("fast".getBytes(StandardCharsets.US_ASCII));
  }

  private static void tricklingWhileAnotherWrites(ServerUnderTest server, WriteSequencer sequencer, Socket slow,
      String path, InputStream in) throws Exception {
    Thread trickle = new Thread(() -> {
      try {
        OutputStream out = slow.getOutputStream();
        for (int i = 0; i < 100; i++) {
          Thread.sleep(1000);
          out.write('x');
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the server closed the connection, or the test ended
      }
    }, "slow-client");
    trickle.setDaemon(true);
    trickle.start();
    try {
      assertThat(Permits.awaitHeld(sequencer, 1, Duration.ofSeconds(5))).as("the slow write holds its permit")
          .isEqualTo(1);
      long began = System.nanoTime();
      HttpResponse<byte[]> fast = Http.put(server.uri(path), "fast");
      Duration waited = Duration.ofNanos(System.nanoTime() - began);
      assertThat(fast.statusCode()).as("the other writer had its turn (%s after it asked)", waited).isEqualTo(201);
      assertThat(waited).as("the other writer's wait").isLessThan(BOUND.plus(SLACK));

      Wire.Response answer = readResponse(in);
      assertThat(answer.status()).as("the slow client's answer").isEqualTo(408);
      assertThat(answer.header("Content-Type")).isEqualTo(Problem.MEDIA_TYPE);
      assertThat(answer.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(new String(answer.body(), StandardCharsets.UTF_8)).contains(Problem.TYPE_BASE + "content-too-slow")
          .contains("\"status\":408");
      assertThat(Permits.awaitHeld(sequencer, 0, Duration.ofSeconds(2))).as("permits held").isZero();
    } finally {
      trickle.interrupt();
    }
  }

  /**
   * Reads one response, without waiting for the connection to end: the header block, then
   * {@code Content-Length} bytes (none for 1xx).
   */
  public static Wire.Response readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      assertThat(b).as("a complete header block after %s", head.toString(StandardCharsets.ISO_8859_1))
          .isNotNegative();
      head.write(b);
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    List<String> headerLines = new ArrayList<>(Arrays.asList(lines).subList(1, lines.length));
    Wire.Response headers = new Wire.Response(status, headerLines, new byte[0], true);
    String length = headers.header("Content-Length");
    byte[] body = status / 100 == 1 || length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
    return new Wire.Response(status, headerLines, body, false);
  }
}
