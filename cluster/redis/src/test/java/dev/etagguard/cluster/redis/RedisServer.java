package dev.etagguard.cluster.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on a free loopback port, without persistence, started and stopped by
 * the test itself; restartable on the same port. The binary comes from the build: the one that the
 * test dependency {@code org.signal:embedded-redis} bundles for this machine, copied into
 * {@code target/} (see the module's pom), never a Redis installed on the machine.
 */
final class RedisServer implements AutoCloseable {

  /** The release {@code org.signal:embedded-redis} bundles (its resources are named after it). */
  private static final String VERSION = "7.0.15";

  private static Path binary;

  private final int port;
  private final Path log;
  private Process process;

  private RedisServer(int port, Path log) {
    this.port = port;
    this.log = log;
  }

  /** Starts a server on a free port. */
  static RedisServer start() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path dir = Path.of("target", "redis-" + port).toAbsolutePath();
    Files.createDirectories(dir);
    RedisServer server = new RedisServer(port, dir.resolve("redis.log"));
    server.startAgain();
    return server;
  }

  /** The {@code redis://} address. */
  String address() {
    return "redis://127.0.0.1:" + port;
  }

  /** (Re)starts the server on its port and waits until it answers PING. */
  synchronized void startAgain() throws Exception {
    process = new ProcessBuilder(List.of(binary().toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", log.getParent().toString()))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!pong()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("redis-server did not start on " + port + "; see " + log);
      }
      Thread.sleep(20);
    }
  }

  /** Stops the server (its data is gone: no persistence). */
  synchronized void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
      process = null;
    }
  }

  /**
   * This machine's {@code redis-server} from the test class path, copied into {@code target/} once
   * (a later build reuses the copy).
   */
  private static synchronized Path binary() throws IOException {
    if (binary == null) {
      String name = "redis-server-" + VERSION + "-" + platform();
      Path file = Path.of("target", name).toAbsolutePath();
      if (!Files.isExecutable(file)) {
        try (InputStream in = RedisServer.class.getResourceAsStream("/" + name)) {
          if (in == null) {
            throw new IllegalStateException(name + " is not on the test class path: does org.signal:embedded-redis"
                + " still bundle Redis " + VERSION + "?");
          }
          Path partial = Files.createTempFile(file.getParent(), name, ".partial");
          Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rwxr-xr-x"));
          Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      }
      binary = file;
    }
    return binary;
  }

  /** The suffix of the bundled binary for this machine. */
  private static String platform() {
    String os = System.getProperty("os.name");
    String arch = System.getProperty("os.arch");
    String system = os.startsWith("Linux") ? "linux" : os.startsWith("Mac") ? "darwin" : null;
    String cpu = switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> null;
    };
    if (system == null || cpu == null) {
      throw new IllegalStateException("org.signal:embedded-redis bundles no redis-server for " + os + " on " + arch);
    }
    return system + "-" + cpu;
  }

  private boolean pong() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      return n == 7 && new String(buf, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
