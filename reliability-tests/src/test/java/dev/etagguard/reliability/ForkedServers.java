package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link StreamingServerMain} in a JVM of its own, with a heap bound, and a client that streams
 * its bodies and checks every byte.
 */
final class ForkedServers {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  private final Process process;
  private final BufferedReader out;
  private final Path log;
  private final Map<GuardedServer.Adapter, Integer> ports = new EnumMap<>(GuardedServer.Adapter.class);
  private String figures = "";

  private ForkedServers(Process process, Path log) {
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.log = log;
  }

  /** Starts the servers in a JVM with {@code -Xmx<heap>}; its error output goes to {@code log}. */
  static ForkedServers start(String heap, Path log) throws IOException {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Files.createDirectories(log.getParent());
    Process process = new ProcessBuilder(java, "-Xmx" + heap, "-cp", classPath, StreamingServerMain.class.getName())
        .redirectError(log.toFile())
        .start();
    ForkedServers servers = new ForkedServers(process, log);
    try {
      for (String line = servers.out.readLine(); !"READY".equals(line); line = servers.out.readLine()) {
        if (line == null) {
          throw new IllegalStateException("the server JVM ended: " + Files.readString(log));
        }
        if (line.startsWith("PORT ")) {
          String[] parts = line.split(" ");
          servers.ports.put(GuardedServer.Adapter.valueOf(parts[1]), Integer.parseInt(parts[2]));
        }
      }
    } catch (IOException | RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
    return servers;
  }

  /** What a GET streamed. */
  record Streamed(int status, long length, String contentLength, String contentRange, String etag, long nanos) {
  }

  /**
   * Sends a request for a generated representation of {@code size} bytes and reads the body as
   * it arrives, comparing every byte with the expected ones from {@code from} on.
   */
  Streamed fetch(GuardedServer.Adapter adapter, String method, long size, String range) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + ports.get(adapter) + "/big?size=" + size);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10))
        .method(method, HttpRequest.BodyPublishers.noBody());
    long from = 0;
    if (range != null) {
      b.header("Range", "bytes=" + range);
      from = Long.parseLong(range.substring(0, range.indexOf('-')));
    }
    long start = System.nanoTime();
    HttpResponse<InputStream> response = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    long read = 0;
    try (InputStream in = response.body()) {
      byte[] got = new byte[64 * 1024];
      byte[] expected = new byte[got.length];
      for (int n = in.read(got); n >= 0; n = in.read(got)) {
        StreamingServerMain.fill(expected, n, from + read);
        if (!java.util.Arrays.equals(got, 0, n, expected, 0, n)) {
          throw new AssertionError(adapter + ": wrong bytes in [" + (from + read) + ", " + (from + read + n) + ")");
        }
        read += n;
      }
    }
    return new Streamed(response.statusCode(), read, response.headers().firstValue("Content-Length").orElse(null),
        response.headers().firstValue("Content-Range").orElse(null),
        response.headers().firstValue("ETag").orElse(null), System.nanoTime() - start);
  }

  /** The server JVM's figures: {@code PEAK_HEAP <bytes> MAX_HEAP <bytes> GC <n>}, after {@link #stop()}. */
  String figures() {
    return figures;
  }

  /** The server JVM's peak heap use (the sum of its heap pools' peaks), after {@link #stop()}. */
  long peakHeap() {
    String[] parts = figures.split(" ");
    return parts.length > 1 ? Long.parseLong(parts[1]) : -1;
  }

  /** Stops the servers and reads the server JVM's figures. */
  void stop() throws Exception {
    try (OutputStream in = process.getOutputStream()) {
      in.write("quit\n".getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // already gone: the exit status below tells
    }
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith("PEAK_HEAP")) {
        figures = line;
      }
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    assertThat(process.exitValue()).as("server JVM exit status; its log: %s", log).isZero();
    assertThat(Files.readString(log)).as("the server JVM's error output").doesNotContain("OutOfMemoryError");
  }
}
