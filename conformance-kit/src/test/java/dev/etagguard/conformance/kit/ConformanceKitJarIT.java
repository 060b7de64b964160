package dev.etagguard.conformance.kit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The packaged {@code etag-guard-conformance.jar}, run as {@code java -jar} in its own process with
 * nothing else on its class path, against an UNGUARDED server: it prints the table and exits 1.
 */
class ConformanceKitJarIT {

  @Test
  void theJarRunsAloneAndReportsAnUnguardedServer() throws Exception {
    Path jar = Path.of(System.getProperty("kit.jar", "target/etag-guard-conformance.jar"));
    assertThat(jar).as("the packaged kit (run after package)").isRegularFile();
    try (PlainStore store = new PlainStore(true)) {
      Path log = Files.createTempFile("etag-guard-conformance", ".txt");
      Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", jar.toString(), store.base() + "items/", "--no-policy", "--clients=4"))
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the kit finishes").isTrue();
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println(output);
      Files.delete(log);
      assertThat(p.exitValue()).as(output).isEqualTo(ConformanceKit.FAILED);
      assertThat(output).startsWith("ETag Guard conformance kit 0.1")
          .containsPattern("(?m)^A07 +FAIL +412 +200 ")
          .containsPattern("(?m)^FAIL: \\d+ checks, \\d+ passed, \\d+ failed, \\d+ skipped$");
    }
  }
}
