package dev.etagguard.samples.springwiki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.etagguard.testing.Http;

import org.junit.jupiter.api.Test;

/**
 * {@code java -jar target/etag-guard-spring-boot-wiki.jar --server.port=0} as a subprocess (needs the
 * repackaged jar: run by failsafe): it prints the samples' ready line, binds to 127.0.0.1 and
 * guards {@code /articles/*}.
 */
class SpringBootWikiLauncherIT {

  private static final Pattern LISTENING = Pattern.compile("Listening on http://127\\.0\\.0\\.1:([0-9]{1,5})/");

  @Test
  void printsTheListeningLineAndServesGuarded() throws Exception {
    Path jar = Path.of(System.getProperty("wiki.jar", "target/etag-guard-spring-boot-wiki.jar"));
    assertThat(jar).as("the executable jar (run 'package' first)").isRegularFile();
    Path logs = Path.of(System.getProperty("wiki.logs", "target/launcher-logs"));
    Files.createDirectories(logs);
    Path stdout = logs.resolve("spring-boot-wiki.stdout.log");
    Path stderr = logs.resolve("spring-boot-wiki.stderr.log");
    Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(), "--server.port=0"))
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile())
        .start();
    try {
      int p = readyPort(process, stdout);
      URI article = URI.create("http://127.0.0.1:" + p + "/articles/1");
      assertThat(Http.get(URI.create("http://127.0.0.1:" + p + "/articles")).statusCode()).isEqualTo(200);
      assertThat(Http.put(article, "{\"title\":\"Eve\"}").statusCode()).isEqualTo(428);
      assertThat(Http.put(article, "{\"title\":\"Hello\"}", "If-None-Match", "*").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> read = Http.get(article);
      assertThat(Http.header(read, "ETag")).isNotNull();
      assertThat(Http.get(URI.create("http://127.0.0.1:" + p + "/actuator/metrics/etag.guard.requests")).statusCode())
          .isEqualTo(200);
    } finally {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("the wiki did not stop on SIGTERM within 60 s");
      }
    }
  }

  /** Waits up to 60 s for the ready line in the process's stdout. */
  private static int readyPort(Process process, Path stdout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && process.isAlive()) {
      Matcher m = LISTENING.matcher(Files.readString(stdout));
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      Thread.sleep(100);
    }
    return fail("no 'Listening on' line within 60 s; stdout:%n%s", Files.readString(stdout));
  }
}
