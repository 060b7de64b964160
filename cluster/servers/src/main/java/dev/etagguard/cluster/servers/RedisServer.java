package dev.etagguard.cluster.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * A real {@code redis-server} on a free port of 127.0.0.1, without persistence, run as a process:
 * the binary that {@code org.signal:embedded-redis} bundles for this machine (Redis {@value #VERSION}),
 * installed by {@link Binaries}; a Redis installed on the machine is never used. Restartable on the
 * same port (its data is gone then). Thread-safe.
 */
public final class RedisServer extends ServerProcess {

  /** The release {@code org.signal:embedded-redis} bundles (its binaries are named after it). */
  public static final String VERSION = "7.0.15";

  private final Path binary;
  private final Path dir;
  private final int port;
  private @Nullable Process process;

  private RedisServer(Path binary, Path dir, int port) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
  }

  /**
   * A server started on a free port, for a build's tests: binary and directory in {@code target/}.
   *
   * @throws IllegalStateException when it does not start, with the end of its log
   */
  public static RedisServer start() throws IOException, InterruptedException {
    Path target = Path.of("target");
    RedisServer server = create(Binaries.in(target), target);
    server.startAgain();
    return server;
  }

  /**
   * A server, not started yet ({@link #startAgain()} starts it): its binary installed, a free port
   * chosen and its directory {@code redis-PORT} (log, working files) created in {@code parent}.
   */
  public static RedisServer create(Binaries binaries, Path parent) throws IOException {
    int port = freePort();
    Path dir = Files.createDirectories(parent.resolve("redis-" + port)).toAbsolutePath();
    return new RedisServer(binaries.redisServer(), dir, port);
  }

  /** The server's {@code redis://} address. */
  public String address() {
    return "redis://127.0.0.1:" + port;
  }

  /** The server's port. */
  public int port() {
    return port;
  }

  /**
   * Starts the server on its port, the first time or again after {@link #stop()}, and waits until it
   * answers {@code PING}.
   *
   * @throws IllegalStateException when it does not, with the end of its log
   */
  public synchronized void startAgain() throws IOException, InterruptedException {
    Path log = dir.resolve("redis.log");
    process = new ProcessBuilder(List.of(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", dir.toString()))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!pong()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("redis-server did not start on 127.0.0.1:" + port + Binaries.tail(log));
      }
      Thread.sleep(20);
    }
  }

  /** Stops the server (its data is gone: no persistence); idempotent. */
  @Override
  public synchronized void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
      process = null;
    }
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
}
