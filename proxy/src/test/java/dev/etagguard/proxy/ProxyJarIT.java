package dev.etagguard.proxy;

import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

import dev.etagguard.testing.JarProcess;
import dev.etagguard.testing.LostUpdateDrill;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code target/etag-guard-proxy.jar} as users run it, {@code java -jar} in a process of its own:
 * in front of the Python sample upstream (the drill, nothing lost), configured from a file, refusing
 * bad options, and streaming bodies far larger than its heap both ways.
 */
class ProxyJarIT {

  @Test
  void runsInFrontOfThePythonUpstreamAndLosesNothing() throws Exception {
    try (PythonUpstream upstream = PythonUpstream.start();
        JarProcess proxy = JarProcess.start("proxy", "--upstream=" + upstream.base(), "--port=0",
            "--guardedPaths=/api/*")) {
      int port = proxy.readyPort();
      LostUpdateDrill.Result result = LostUpdateDrill.run(URI.create("http://127.0.0.1:" + port + "/api/counter"), 4,
          5);
      assertThat(result.successes()).isEqualTo(20);
      assertThat(put(URI.create("http://127.0.0.1:" + port + "/api/counter"), "9").statusCode())
          .as("a write without a precondition").isEqualTo(428);
      proxy.stopAndAssertStdoutIsTheReadyLine(port);
      assertThat(proxy.stderr()).contains("etag-guard-proxy: stopping");
    }
  }

  @Test
  void readsOptionsFromAFileWhichTheCommandLineOverrides(@TempDir Path dir) throws Exception {
    try (PythonUpstream upstream = PythonUpstream.start()) {
      Path config = dir.resolve("proxy.properties");
      Files.writeString(config, "upstream=" + upstream.base() + "\nport=1\nguardedPaths=/docs/*\nmetrics=true\n");
      try (JarProcess proxy = JarProcess.start("config", "--config=" + config, "--port=0")) {
        int port = proxy.readyPort();
        URI base = URI.create("http://127.0.0.1:" + port + "/");
        assertThat(put(base.resolve("/docs/a"), "x").statusCode()).isEqualTo(428);
        assertThat(put(base.resolve("/other/a"), "x").statusCode()).isEqualTo(201);
        assertThat(dev.etagguard.testing.Http.text(dev.etagguard.testing.Http.get(base.resolve("/metrics"))))
            .contains("etagguard_decisions_total{decision=\"precondition_required\"} 1");
      }
    }
  }

  @Test
  void refusesBadOptionsWithExitCodeTwo() throws Exception {
    JarProcess.assertRefused("--port=8080", "'upstream' is required");
    JarProcess.assertRefused("port=8080", "expected --NAME=VALUE");
    try (JarProcess unknown = JarProcess.start("unknown", "--upstream=http://127.0.0.1:9", "--port=0",
        "--guardedPathz=/a/*")) {
      assertThat(unknown.awaitExit()).isEqualTo(2);
      assertThat(unknown.stdout()).isEmpty();
      assertThat(unknown.stderr()).contains("Unknown ETag Guard option 'guardedPathz'");
    }
    try (JarProcess malformed = JarProcess.start("malformed", "--upstream=http://127.0.0.1:9", "--port=0",
        "--permitTimeout=soon")) {
      assertThat(malformed.awaitExit()).isEqualTo(2);
      assertThat(malformed.stderr()).contains("permitTimeout");
    }
    try (JarProcess help = JarProcess.start("help", "--help")) {
      assertThat(help.awaitExit()).isZero();
      assertThat(help.stderr()).contains("usage: java -jar etag-guard-proxy.jar --upstream=URL",
          "--preserveHost=true", "--guardedPaths=", "--readPermits=false");
    }
  }

  /** Bytes each way; {@code -Dproxy.stream.bytes=2147483648} for the 2 GiB run (docs/performance.md). */
  private static final long STREAM_BYTES = Long.getLong("proxy.stream.bytes", 256L << 20);

  @Test
  void streamsBodiesLargerThanItsHeapBothWays() throws Exception {
    try (ScriptedUpstream upstream = new ScriptedUpstream()) {
      Process proxy = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx64m", "-jar", System.getProperty("sample.jar"), "--upstream=" + upstream.base(), "--port=0",
          "--guardedPaths=/store/*")
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try {
        String ready = new BufferedReader(new InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
        Matcher m = JarProcess.READY_LINE.matcher(String.valueOf(ready));
        assertThat(m.matches()).as("ready line: %s", ready).isTrue();
        URI base = URI.create("http://127.0.0.1:" + m.group(1) + "/");
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        long start = System.nanoTime();
        HttpResponse<InputStream> download = client.send(HttpRequest.newBuilder(base.resolve("/bytes/" + STREAM_BYTES))
            .timeout(Duration.ofMinutes(10)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(download.statusCode()).isEqualTo(200);
        long read = 0;
        long mismatches = 0;
        try (InputStream in = download.body()) {
          byte[] buffer = new byte[64 * 1024];
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            for (int i = 0; i < n; i++) {
              if (buffer[i] != ScriptedUpstream.generated(read + i)) {
                mismatches++;
              }
            }
            read += n;
          }
        }
        assertThat(read).isEqualTo(STREAM_BYTES);
        assertThat(mismatches).isZero();
        double downSeconds = (System.nanoTime() - start) / 1e9;

        start = System.nanoTime();
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        HttpResponse<String> upload = client.send(HttpRequest.newBuilder(base.resolve("/store/big"))
            .timeout(Duration.ofMinutes(10)).header("If-None-Match", "*")
            .PUT(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedStream(STREAM_BYTES, sent)), STREAM_BYTES))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
        assertThat(upstream.stored.get("/store/big")).isEqualTo(STREAM_BYTES + " " + HexFormat.of().formatHex(sent.digest()));
        double upSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d bytes through the proxy at -Xmx64m: download %.1f s, upload %.1f s%n", STREAM_BYTES,
            downSeconds, upSeconds);
        assertThat(proxy.isAlive()).isTrue();
      } finally {
        proxy.destroy();
        if (!proxy.waitFor(60, TimeUnit.SECONDS)) {
          proxy.destroyForcibly();
        }
      }
    }
  }

  /** {@code n} generated bytes, digested as they are read. */
  private static final class GeneratedStream extends InputStream {
    private final long n;
    private final MessageDigest digest;
    private long position;

    GeneratedStream(long n, MessageDigest digest) {
      this.n = n;
      this.digest = digest;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= n) {
        return -1;
      }
      int count = (int) Math.min(len, n - position);
      for (int i = 0; i < count; i++) {
        b[off + i] = ScriptedUpstream.generated(position + i);
      }
      digest.update(b, off, count);
      position += count;
      return count;
    }
  }
}
