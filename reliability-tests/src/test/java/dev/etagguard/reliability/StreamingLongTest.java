package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property 5 of docs/guarantees.md, the long run: a body of 2 GiB + 7 bytes (a length past
 * {@code Integer.MAX_VALUE}) streams through a guarded GET on every adapter, the server in a JVM
 * of its own with {@code -Xmx256m}: every byte checked, the declared Content-Length intact, no
 * generated ETag. Prints the server JVM's peak heap.
 */
@Tag("long")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamingLongTest {

  private ForkedServers servers;
  private long start;

  @BeforeAll
  void fork() throws Exception {
    start = System.nanoTime();
    servers = ForkedServers.start("256m", Path.of("target", "streaming-long-server.log"));
  }

  @AfterAll
  void stop() throws Exception {
    servers.stop();
    System.out.printf("FIGURES streaming-2GiB heap=-Xmx256m body=%d %s ms=%d%n", StreamingTest.OVER_2_GIB,
        servers.figures(), (System.nanoTime() - start) / 1_000_000);
    assertThat(servers.peakHeap()).isLessThanOrEqualTo(256L << 20);
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void twoGiBStreamThroughAGuardedGet(GuardedServer.Adapter adapter) throws Exception {
    ForkedServers.Streamed got = servers.fetch(adapter, "GET", StreamingTest.OVER_2_GIB, null);
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.length()).isEqualTo(StreamingTest.OVER_2_GIB);
    assertThat(got.contentLength()).isEqualTo(Long.toString(StreamingTest.OVER_2_GIB));
    assertThat(got.etag()).as("no generated ETag past maxBufferSize").isNull();
    System.out.printf("FIGURES streaming-2GiB adapter=%s bytes=%d ms=%d%n", adapter, got.length(),
        got.nanos() / 1_000_000);
  }
}
