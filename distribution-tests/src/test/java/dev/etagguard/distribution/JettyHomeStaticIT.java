package dev.etagguard.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.etagguard.testing.Wire;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jetty-home module in front of Jetty's own {@code DefaultServlet} (the ee11 webapp default
 * descriptor's), with and without the {@code compression-gzip} module: a webapp of static files
 * only (12 bytes, 16 KiB, 2 MiB against the default 1 MiB {@code maxBufferSize}), every answer
 * read off the socket, and the handler order read from the server's dump.
 */
class JettyHomeStaticIT {

  private static final byte[] SMALL = "hello world\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LARGE = text(2 * 1024 * 1024);
  private static final byte[] MEDIUM = Arrays.copyOf(LARGE, 16 * 1024);

  private static byte[] text(int size) {
    StringBuilder sb = new StringBuilder(size + 32);
    for (int n = 0; sb.length() < size; n++) {
      sb.append("line ").append(n).append(' ').append(Integer.toHexString(n * 31)).append('\n');
    }
    return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }

  @ParameterizedTest(name = "compression-gzip {0}")
  @ValueSource(booleans = {false, true})
  void defaultServletBehindTheModule(boolean compression) throws Exception {
    Path home = Path.of(System.getProperty("jetty.home"));
    Path bundle = Path.of(System.getProperty("etagguard.jettyBundle"));
    assertThat(bundle).exists();
    Path base = Path.of(System.getProperty("etagguard.workDir")).resolve("jetty-base-static-" + compression);
    ServerProcess.deleteTree(base);
    Path webapp = Files.createDirectories(base.resolve("webapps/static"));
    ServerProcess.unzip(bundle, base);
    Files.write(webapp.resolve("small.txt"), SMALL);
    Files.write(webapp.resolve("medium.txt"), MEDIUM);
    Files.write(webapp.resolve("large.txt"), LARGE);

    String modules = "http,ee11-deploy,etag-guard" + (compression ? ",compression-gzip" : "");
    List<String> add = List.of(ServerProcess.java(), "-jar", home.resolve("start.jar").toString(),
        "jetty.home=" + home, "jetty.base=" + base, "--add-modules=" + modules);
    Process setup = new ProcessBuilder(add).directory(base.toFile()).redirectErrorStream(true)
        .redirectOutput(base.resolve("add-modules.log").toFile()).start();
    assertThat(setup.waitFor()).as(Files.readString(base.resolve("add-modules.log"))).isZero();

    int port = ServerProcess.freePort();
    List<String> run = List.of(ServerProcess.java(), "-jar", home.resolve("start.jar").toString(),
        "jetty.home=" + home, "jetty.base=" + base, "jetty.http.host=127.0.0.1", "jetty.http.port=" + port,
        "jetty.server.dumpAfterStart=true");
    Path log = base.resolve("jetty.log");
    try (ServerProcess jetty = ServerProcess.start(run, base, log, Map.of())) {
      jetty.awaitPort(port, Duration.ofSeconds(90));
      URI small = URI.create("http://127.0.0.1:" + port + "/static/small.txt");
      URI medium = URI.create("http://127.0.0.1:" + port + "/static/medium.txt");
      URI large = URI.create("http://127.0.0.1:" + port + "/static/large.txt");
      Wire.Response first = awaitDeployed(small, jetty);

      assertHandlerOrder(jetty, log, compression);

      // Held (under maxBufferSize): tagged, exact.
      assertThat(first.status()).as(first.headerLines() + "\n" + jetty.tail()).isEqualTo(200);
      assertThat(first.body()).isEqualTo(SMALL);
      assertThat(first.header("Content-Length")).isEqualTo("12");
      String etag = first.header("ETag");
      assertThat(etag).as("a generated strong ETag").isNotNull().doesNotStartWith("W/");

      Wire.Response head = Wire.exchange("HEAD", small);
      assertThat(head.status()).as(head.headerLines().toString()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      assertThat(head.header("Content-Length")).isEqualTo("12");
      assertThat(head.header("ETag")).isEqualTo(etag);

      Wire.Response notModified = Wire.exchange("GET", small, "If-None-Match", etag);
      assertThat(notModified.status()).as(notModified.headerLines().toString()).isEqualTo(304);
      assertThat(notModified.body()).isEmpty();

      Wire.Response part = Wire.exchange("GET", small, "Range", "bytes=2-6");
      assertThat(part.status()).as(part.headerLines().toString()).isEqualTo(206);
      assertThat(part.body()).isEqualTo(Arrays.copyOfRange(SMALL, 2, 7));
      assertThat(part.header("Content-Range")).isEqualTo("bytes 2-6/12");
      assertThat(part.header("ETag")).isEqualTo(etag);

      Wire.Response ifRange = Wire.exchange("GET", small, "Range", "bytes=0-4", "If-Range", etag);
      assertThat(ifRange.status()).as(ifRange.headerLines().toString()).isEqualTo(206);
      assertThat(ifRange.body()).isEqualTo(Arrays.copyOfRange(SMALL, 0, 5));
      Wire.Response staleIfRange = Wire.exchange("GET", small, "Range", "bytes=0-4", "If-Range", "\"stale\"");
      assertThat(staleIfRange.status()).as(staleIfRange.headerLines().toString()).isEqualTo(200);
      assertThat(staleIfRange.body()).isEqualTo(SMALL);

      // Streamed (over maxBufferSize): exact, and its parts too.
      Wire.Response whole = Wire.exchange("GET", large);
      assertThat(whole.status()).as(whole.headerLines().toString()).isEqualTo(200);
      assertThat(whole.body()).isEqualTo(LARGE);
      Wire.Response headLarge = Wire.exchange("HEAD", large);
      assertThat(headLarge.status()).as(headLarge.headerLines().toString()).isEqualTo(200);
      assertThat(headLarge.body()).isEmpty();
      assertThat(headLarge.header("Content-Length")).isEqualTo(String.valueOf(LARGE.length));
      Wire.Response largePart = Wire.exchange("GET", large, "Range", "bytes=1000-1999");
      assertThat(largePart.status()).as(largePart.headerLines().toString()).isEqualTo(206);
      assertThat(largePart.body()).isEqualTo(Arrays.copyOfRange(LARGE, 1000, 2000));

      if (compression) {
        Wire.Response gzip = Wire.exchange("GET", medium, "Accept-Encoding", "gzip");
        assertThat(gzip.status()).as(gzip.headerLines().toString()).isEqualTo(200);
        assertThat(gzip.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gzip.decodedBody()).isEqualTo(MEDIUM);
        String identityTag = Wire.exchange("GET", medium).header("ETag");
        String gzipTag = gzip.header("ETag");
        assertThat(gzipTag).as("the compressed variant's own tag").isNotNull().isNotEqualTo(identityTag);
        Wire.Response gzipNotModified = Wire.exchange("GET", medium, "Accept-Encoding", "gzip", "If-None-Match", gzipTag);
        assertThat(gzipNotModified.status()).as(gzipNotModified.headerLines().toString()).isEqualTo(304);

        Wire.Response gzipSmall = Wire.exchange("GET", small, "Accept-Encoding", "gzip");
        assertThat(gzipSmall.status()).as(gzipSmall.headerLines().toString()).isEqualTo(200);
        assertThat(gzipSmall.decodedBody()).isEqualTo(SMALL);
        Wire.Response gzipLarge = Wire.exchange("GET", large, "Accept-Encoding", "gzip");
        assertThat(gzipLarge.status()).as(gzipLarge.headerLines().toString()).isEqualTo(200);
        assertThat(gzipLarge.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gzipLarge.decodedBody()).isEqualTo(LARGE);
      }
    }
  }

  /** {@code Server > CompressionHandler > ETagGuardHandler > ...}, as the README says. */
  private static void assertHandlerOrder(ServerProcess jetty, Path log, boolean compression) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<String> lines;
    do {
      lines = Files.readAllLines(log);
      if (lines.stream().anyMatch(l -> l.contains("ETagGuardHandler@")) || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(200);
    } while (true);
    int guard = depth(lines, "dev.etagguard.jetty.ETagGuardHandler@", "dej.ETagGuardHandler@");
    assertThat(guard).as("the guard in the dump\n" + jetty.tail()).isPositive();
    int gzip = depth(lines, "org.eclipse.jetty.compression.server.CompressionHandler@", "oejcs.CompressionHandler@");
    if (compression) {
      assertThat(gzip).as("compression in the dump").isPositive();
      assertThat(guard).as("the guard inside compression\n" + String.join("\n", lines)).isGreaterThan(gzip);
    } else {
      assertThat(gzip).isEqualTo(-1);
    }
  }

  /** The column of a handler's {@code +=} in the server dump (deeper is inside), or -1. */
  private static int depth(List<String> lines, String... names) {
    for (String line : lines) {
      for (String name : names) {
        int at = line.indexOf("+= " + name);
        if (at >= 0) {
          return at + 1;
        }
      }
    }
    return -1;
  }

  /** The first GET, retried while the webapp is still deploying (404 from Jetty). */
  private static Wire.Response awaitDeployed(URI uri, ServerProcess jetty) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Wire.Response r;
    do {
      r = Wire.exchange("GET", uri);
      if (r.status() != 404 && r.status() != 503) {
        return r;
      }
      Thread.sleep(250);
    } while (System.nanoTime() < deadline);
    throw new IllegalStateException("the webapp was not deployed: last status " + r.status() + "\n" + jetty.tail());
  }

}
