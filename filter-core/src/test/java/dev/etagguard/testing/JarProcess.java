package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sample's executable jar, {@code java -jar JAR ARGS}, as a subprocess, for the samples'
 * launcher tests (failsafe runs them after {@code package}): the jar is named by the system
 * property {@code sample.jar}, stderr goes to a log file in the folder {@code sample.logs}
 * ({@code target/launcher-logs} by default), stdout is kept line by line. Waits for the samples'
 * ready line {@code Listening on http://127.0.0.1:PORT/} and stops the process with SIGTERM, each
 * bounded by {@link #BOUND}. Closing it stops the process.
 */
public final class JarProcess implements AutoCloseable {

  /** The samples' ready line; group 1 is the port. */
  public static final Pattern READY_LINE = Pattern.compile("Listening on http://127\\.0\\.0\\.1:([0-9]{1,5})/");

  /** How long the process may take to print its ready line, to exit, or to stop on SIGTERM. */
  public static final Duration BOUND = Duration.ofSeconds(60);

  private final Process process;
  private final Path stderr;
  private final List<String> stdout = new CopyOnWriteArrayList<>();
  private final Thread reader;

  private JarProcess(Process process, Path stderr, String name) {
    this.process = process;
    this.stderr = stderr;
    this.reader = new Thread(this::readStdout, "stdout-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts the jar.
   *
   * @param name names the stderr log ({@code NAME-....stderr.log}) and the stdout reader thread
   * @param args the jar's arguments
   */
  public static JarProcess start(String name, String... args) throws IOException {
    Path jar = Path.of(System.getProperty("sample.jar", ""));
    assertThat(jar).as("the executable jar, system property sample.jar (run 'package' first)").isRegularFile();
    Path logs = Path.of(System.getProperty("sample.logs", "target/launcher-logs"));
    Files.createDirectories(logs);
    Path stderr = Files.createTempFile(logs, name + "-", ".stderr.log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
        .start();
    return new JarProcess(process, stderr, name);
  }

  /**
   * Asserts that the jar refuses {@code argument} as a launcher does: exit code 2, nothing on
   * stdout, a message on stderr that contains {@code mentioned}.
   */
  public static void assertRefused(String argument, String mentioned) throws Exception {
    try (JarProcess refused = start("usage", argument)) {
      assertThat(refused.awaitExit()).as("exit code for %s", argument).isEqualTo(2);
      assertThat(refused.stdout()).as("stdout for %s", argument).isEmpty();
      assertThat(refused.stderr()).contains(mentioned);
    }
  }

  /**
   * Waits for the ready line on stdout and returns its port; fails, with stderr, when the process
   * ends first or {@link #BOUND} passes.
   */
  public int readyPort() throws Exception {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : stdout) {
        Matcher m = READY_LINE.matcher(line);
        if (m.matches()) {
          int port = Integer.parseInt(m.group(1));
          assertThat(port).isBetween(1, 65535);
          return port;
        }
      }
      if (!reader.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    return fail("no 'Listening on' line within %s; stdout:%n%s%nstderr:%n%s", BOUND, String.join("\n", stdout),
        stderr());
  }

  /** Waits for the process to exit by itself and returns its exit code, with all its stdout read. */
  public int awaitExit() throws InterruptedException {
    if (!process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("the process did not exit within " + BOUND);
    }
    reader.join(BOUND.toMillis());
    return process.exitValue();
  }

  /** Stops the process with SIGTERM; fails when it does not stop within {@link #BOUND}. Idempotent. */
  public void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("the process did not stop on SIGTERM within " + BOUND);
    }
    reader.join(BOUND.toMillis());
  }

  /**
   * Stops the process (see {@link #stop()}) and asserts that stdout had the ready line of
   * {@code port} and nothing else, as a sample launcher prints.
   */
  public void stopAndAssertStdoutIsTheReadyLine(int port) throws InterruptedException {
    stop();
    assertThat(stdout()).as("stdout: the Listening line, nothing else")
        .containsExactly("Listening on http://127.0.0.1:" + port + "/");
  }

  /** The lines printed to stdout so far (all of them once the process has ended). */
  public List<String> stdout() {
    return List.copyOf(stdout);
  }

  /** What was printed to stderr so far. */
  public String stderr() {
    try {
      return Files.readString(stderr);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the process", e);
    }
  }

  private void readStdout() {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        stdout.add(line);
      }
    } catch (IOException e) {
      // The process went away: its stdout ends here.
    }
  }
}
