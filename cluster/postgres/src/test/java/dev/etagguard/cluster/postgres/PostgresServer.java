package dev.etagguard.cluster.postgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL (the Debian package; {@code .ci/run} installs it) in {@code target/}, on a
 * free loopback port: {@code initdb} and {@code pg_ctl}, run by the test itself. PostgreSQL refuses
 * to run as root, so under root the commands run as the package's {@code postgres} user, which
 * owns the data directory.
 */
final class PostgresServer implements AutoCloseable {

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** Creates a cluster in {@code target/} and starts it on a free port. */
  static PostgresServer start() throws Exception {
    Path bin;
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      bin = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
          .orElseThrow();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("PostgreSQL is missing: apt-get install -y postgresql (.ci/run does)", e);
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path dir = Path.of("target", "postgres-" + port).toAbsolutePath();
    Files.createDirectories(dir);
    boolean asPostgres = "root".equals(System.getProperty("user.name"));
    PostgresServer server = new PostgresServer(bin, dir, port, asPostgres);
    if (asPostgres) {
      server.run(List.of("chown", "-R", "postgres", dir.toString()), false);
    }
    server.run(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
        "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"), true);
    server.startAgain();
    return server;
  }

  /** The JDBC URL of the {@code postgres} database. */
  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?connectTimeout=10&loginTimeout=10";
  }

  /** (Re)starts the server on its port and waits until it accepts connections. */
  void startAgain() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
        dir.resolve("postgres.log").toString(), "-w", "-t", "60", "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            + " -c full_page_writes=off -c max_connections=200", "start"), true);
  }

  /** Stops the server, disconnecting every client (its data stays). */
  void stop() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w",
        "-t", "60", "stop"), true);
  }

  private void run(List<String> command, boolean postgresUser) throws Exception {
    List<String> full = new ArrayList<>();
    if (postgresUser && asPostgres) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    Path log = dir.resolve("commands.log");
    Process p = new ProcessBuilder(full).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", full) + " failed; see " + log + " and "
          + dir.resolve("postgres.log"));
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
