package dev.etagguard.proxy;

import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sample upstream that is not Java, {@code samples/python-upstream/server.py}, run with the
 * {@code python3} on the PATH (part of the machine; a clear failure when it is missing) on a free
 * loopback port. Closing it ends the process.
 */
final class PythonUpstream implements AutoCloseable {

  private static final Pattern READY = Pattern.compile("Listening on (http://127\\.0\\.0\\.1:[0-9]+/)");

  private final Process process;
  private final URI base;

  private PythonUpstream(Process process, URI base) {
    this.process = process;
    this.base = base;
  }

  /** Starts the server and waits (10 s at most) for its ready line. */
  static PythonUpstream start() throws IOException, InterruptedException {
    Path script = Path.of("..", "samples", "python-upstream", "server.py").toAbsolutePath().normalize();
    if (!Files.isRegularFile(script)) {
      fail("the sample upstream is missing: " + script);
    }
    Process process;
    try {
      process = new ProcessBuilder("python3", script.toString(), "--port=0")
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
    } catch (IOException e) {
      throw new AssertionError("These tests run the Python sample upstream with python3 from the PATH, which this "
          + "machine is expected to have (python3 --version): " + e.getMessage(), e);
    }
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String[] line = new String[1];
    Thread reader = new Thread(() -> {
      try {
        line[0] = out.readLine();
      } catch (IOException e) {
        line[0] = null;
      }
    }, "python-upstream-ready");
    reader.setDaemon(true);
    reader.start();
    reader.join(10_000);
    Matcher m = line[0] == null ? null : READY.matcher(line[0]);
    if (m == null || !m.matches()) {
      process.destroyForcibly();
      fail("python3 server.py printed no ready line within 10 s (got " + line[0] + ")");
    }
    return new PythonUpstream(process, URI.create(m.group(1)));
  }

  /** The base URI, with a trailing slash. */
  URI base() {
    return base;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
