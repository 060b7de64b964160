package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client that sends its content slowly delays only itself: the content of a guarded write
 * arrives before the write asks for its resource's permit, so nobody waits for a client
 * (issue 18 #1). Large content arrives whole and leaves no temporary file behind. On every adapter.
 */
class SlowClientTest {

  private static final GuardSettings SETTINGS = GuardSettings.builder().guardedPaths("/*")
      .permitTimeout(Duration.ofSeconds(2)).build();

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aStalledUploadHoldsNoPermit(GuardedServer.Adapter adapter) throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    try (GuardedServer server = GuardedServer.start(adapter, SETTINGS, servlet);
        Socket slow = new Socket()) {
      slow.connect(new InetSocketAddress("127.0.0.1", server.uri("/").getPort()), 5_000);
      slow.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
      OutputStream out = slow.getOutputStream();
      out.write(RawHttp.head("PUT", "/r/a", List.of(new RawHttp.Field("If-None-Match", "*")), 100));
      out.write("slow-".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(300); // the slow client's request is in, its content is not
      assertThat(server.engine().sequencer().heldPermits()).as("permits held for a stalled upload").isZero();
      // Another writer of the same resource is not kept waiting (permitTimeout is 2 s: a wait is a 503).
      HttpResponse<byte[]> fast = put(server.uri("/r/a"), "fast", "If-None-Match", "*");
      assertThat(fast.statusCode()).isEqualTo(201);
      assertThat(put(server.uri("/r/a"), "faster", "If-Match", header(get(server.uri("/r/a")), "ETag"))
          .statusCode()).isEqualTo(204);
      // The slow client finishes: its If-None-Match: * is decided on the resource as it is now.
      out.write("x".repeat(95).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      RawHttp.Response late = RawHttp.read(slow.getInputStream(), false);
      assertThat(late.status()).isEqualTo(412);
      assertThat(new String(servlet.store.get("/r/a"), StandardCharsets.UTF_8)).isEqualTo("faster");
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void largeContentArrivesWholeAndLeavesNoFile(GuardedServer.Adapter adapter) throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    long filesBefore = spoolFiles();
    try (GuardedServer server = GuardedServer.start(adapter, SETTINGS, servlet)) {
      String body = "0123456789abcdef".repeat(300 * 1024 / 16 + 7);
      HttpResponse<byte[]> created = put(server.uri("/r/big"), body, "If-None-Match", "*");
      assertThat(created.statusCode()).isEqualTo(201);
      assertThat(new String(servlet.store.get("/r/big"), StandardCharsets.UTF_8)).isEqualTo(body);
      String tag = header(get(server.uri("/r/big")), "ETag");
      assertThat(header(created, "ETag")).as("a PUT's tag is its content's").isEqualTo(tag);
      // A PUT that the guard refuses reads its content too, and keeps no file either.
      assertThat(put(server.uri("/r/big"), body, "If-None-Match", "*").statusCode()).isEqualTo(412);
    }
    assertThat(spoolFiles()).as("temporary files of received content").isEqualTo(filesBefore);
  }

  /** Content beyond what the guard receives before the permit streams on to the handler, whole. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void contentBeyondTheSpoolLimitArrivesWhole(GuardedServer.Adapter adapter) throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    try (GuardedServer server = GuardedServer.start(adapter, SETTINGS, servlet)) {
      String body = "0123456789abcdef".repeat(12 * 1024 * 1024 / 16 + 3);
      HttpResponse<byte[]> created = put(server.uri("/r/huge"), body, "If-None-Match", "*");
      assertThat(created.statusCode()).isEqualTo(201);
      assertThat(new String(servlet.store.get("/r/huge"), StandardCharsets.UTF_8)).isEqualTo(body);
      assertThat(header(created, "ETag")).isEqualTo(header(get(server.uri("/r/huge")), "ETag"));
    }
  }

  private static long spoolFiles() throws Exception {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files.filter(p -> p.getFileName().toString().startsWith("etag-guard-content")).count();
    }
  }
}
