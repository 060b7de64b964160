package dev.etagguard.cluster.postgres;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * A real PostgreSQL in {@code target/}, on a free loopback port: {@code initdb} and {@code pg_ctl},
 * run by the test itself. The server comes from the build: the binaries artifact of
 * {@code io.zonky.test.postgres} for this machine (see the module's pom), unpacked into
 * {@code target/postgresql}, never a PostgreSQL installed on the machine. PostgreSQL refuses to run
 * as root, so under root the commands run in a user namespace of their own ({@code unshare -U}),
 * where the build's user is an unprivileged one that still owns the files in {@code target/}.
 */
final class PostgresServer implements AutoCloseable {

  private static Path bin;

  private final Path dir;
  private final int port;
  private final boolean asRoot;

  private PostgresServer(Path dir, int port, boolean asRoot) {
    this.dir = dir;
    this.port = port;
    this.asRoot = asRoot;
  }

  /** Creates a cluster in {@code target/} and starts it on a free port. */
  static PostgresServer start() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path dir = Path.of("target", "postgres-" + port).toAbsolutePath();
    Files.createDirectories(dir);
    PostgresServer server = new PostgresServer(dir, port, "root".equals(System.getProperty("user.name")));
    server.run(List.of(bin().resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
        "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"));
    server.startAgain();
    return server;
  }

  /** The JDBC URL of the {@code postgres} database. */
  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?connectTimeout=10&loginTimeout=10";
  }

  /** (Re)starts the server on its port and waits until it accepts connections. */
  void startAgain() throws Exception {
    run(List.of(bin().resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
        dir.resolve("postgres.log").toString(), "-w", "-t", "60", "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            + " -c full_page_writes=off -c max_connections=200", "start"));
  }

  /** Stops the server, disconnecting every client (its data stays). */
  void stop() throws Exception {
    run(List.of(bin().resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w",
        "-t", "60", "stop"));
  }

  private void run(List<String> command) throws Exception {
    List<String> full = new ArrayList<>();
    if (asRoot) {
      full.addAll(List.of("unshare", "-U"));
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

  /**
   * The {@code bin} directory of the server, unpacked into {@code target/postgresql} once from the
   * archive that the module's pom chose for this machine; a later build reuses it while the archive
   * is the same.
   */
  private static synchronized Path bin() throws IOException {
    if (bin == null) {
      String name = System.getProperty("etagguard.postgres.archive");
      URL archive = name == null ? null : PostgresServer.class.getResource("/" + name);
      if (archive == null) {
        throw new IllegalStateException("no PostgreSQL archive " + name + " on the test class path: the module's"
            + " pom names it (etagguard.postgres.archive) with the binaries artifact for this machine");
      }
      Path home = Path.of("target", "postgresql").toAbsolutePath();
      Path source = home.resolve("source");
      if (!Files.isRegularFile(source)
          || !Files.readString(source, StandardCharsets.UTF_8).equals(archive.toString())) {
        Path partial = Files.createTempDirectory(home.getParent(), "postgresql");
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(new BufferedInputStream(
            archive.openStream())))) {
          unpack(tar, partial);
        }
        Files.writeString(partial.resolve("source"), archive.toString(), StandardCharsets.UTF_8);
        deleteTree(home);
        Files.move(partial, home, StandardCopyOption.ATOMIC_MOVE);
      }
      bin = home.resolve("bin");
    }
    return bin;
  }

  private static void unpack(TarArchiveInputStream tar, Path into) throws IOException {
    for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
      Path to = into.resolve(entry.getName()).normalize();
      if (!to.startsWith(into)) {
        throw new IOException("archive entry outside its directory: " + entry.getName());
      }
      Files.createDirectories(entry.isDirectory() ? to : to.getParent());
      if (entry.isSymbolicLink()) {
        Files.createSymbolicLink(to, Path.of(entry.getLinkName()));
      } else if (entry.isLink()) {
        Files.createLink(to, into.resolve(entry.getLinkName()));
      } else if (entry.isFile()) {
        Files.copy(tar, to);
        Files.setPosixFilePermissions(to, permissions(entry.getMode()));
      }
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (1 << (bits.length - 1 - i))) != 0) {
        set.add(bits[i]);
      }
    }
    return set;
  }

  private static void deleteTree(Path root) throws IOException {
    if (Files.exists(root)) {
      try (Stream<Path> paths = Files.walk(root)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
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
