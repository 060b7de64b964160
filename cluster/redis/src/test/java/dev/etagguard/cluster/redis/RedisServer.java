package dev.etagguard.cluster.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (the Debian package; {@code .ci/run} installs it) on a free loopback
 * port, without persistence, started and stopped by the test itself; restartable on the same port.
 */
final class RedisServer implements AutoCloseable {

  private static final Path BINARY = Path.of("/usr/bin/redis-server");

  private final int port;
  private final Path log;
  private Process process;

  private RedisServer(int port, Path log) {
    this.port = port;
    this.log = log;
  }

  /** Starts a server on a free port. */
  static RedisServer start() throws Exception {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(BINARY + " is missing: apt-get install -y redis-server (.ci/run does)");
    }
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
    process = new ProcessBuilder(List.of(BINARY.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
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
