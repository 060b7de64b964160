package dev.etagguard.cluster.servers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A server run as a process: {@link #stop()}, and {@link #close()}, which stops it. */
abstract sealed class ServerProcess implements AutoCloseable permits RedisServer, PostgresServer {

  /** Stops the server if it runs; idempotent. */
  public abstract void stop() throws InterruptedException;

  /**
   * Stops the server if it runs; idempotent.
   *
   * @throws IllegalStateException when interrupted (the thread's interrupt status is set again)
   */
  @Override
  public final void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping " + getClass().getSimpleName(), e);
    }
  }

  /** A port of 127.0.0.1 free a moment ago. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
