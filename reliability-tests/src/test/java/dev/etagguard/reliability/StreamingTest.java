package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property 5 of docs/guarantees.md, streaming: a guarded GET of a body larger than the server's
 * whole heap streams through every adapter (the server runs in a JVM of its own with
 * {@code -Xmx48m}): every byte arrives, in order, with the length the handler declared and no
 * generated ETag (the body outgrew the 1 MiB buffer). Lengths are longs all the way: a handler's
 * 206 for a range past 2^31 of a representation over 2 GiB passes through unchanged. The 2 GiB
 * body itself, under {@code -Xmx256m}, is {@link StreamingLongTest} (tag {@code long}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamingTest {

  /** A length past {@code Integer.MAX_VALUE}. */
  static final long OVER_2_GIB = (1L << 31) + 7;

  private static final long BODY = 160L << 20;

  private ForkedServers servers;

  @BeforeAll
  void fork() throws Exception {
    servers = ForkedServers.start("48m", Path.of("target", "streaming-server.log"));
  }

  @AfterAll
  void stop() throws Exception {
    servers.stop();
    System.out.printf("FIGURES streaming heap=-Xmx48m body=%d %s%n", BODY, servers.figures());
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void bodyLargerThanTheHeapStreams(GuardedServer.Adapter adapter) throws Exception {
    ForkedServers.Streamed got = servers.fetch(adapter, "GET", BODY, null);
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.length()).isEqualTo(BODY);
    assertThat(got.contentLength()).isEqualTo(Long.toString(BODY));
    assertThat(got.etag()).as("no generated ETag past maxBufferSize").isNull();
    System.out.printf("FIGURES streaming adapter=%s bytes=%d ms=%d%n", adapter, got.length(), got.nanos() / 1_000_000);
  }

  /** Found by this test: the servlet adapters sent no Content-Length (Tomcat) or 0 (Jetty) for such a HEAD. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void headDeclaresTheLength(GuardedServer.Adapter adapter) throws Exception {
    ForkedServers.Streamed got = servers.fetch(adapter, "HEAD", BODY, null);
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.length()).isZero();
    assertThat(got.contentLength()).isEqualTo(Long.toString(BODY));
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void rangePast2GiBOfARepresentationOver2GiB(GuardedServer.Adapter adapter) throws Exception {
    long first = (1L << 31) - 8; // across 2^31
    long last = OVER_2_GIB - 1;
    ForkedServers.Streamed got = servers.fetch(adapter, "GET", OVER_2_GIB, first + "-" + last);
    assertThat(got.status()).isEqualTo(206);
    assertThat(got.length()).isEqualTo(15);
    assertThat(got.contentLength()).isEqualTo("15");
    assertThat(got.contentRange()).isEqualTo("bytes " + first + "-" + last + "/" + OVER_2_GIB);
  }
}
