package dev.etagguard.samples.wiki;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.etagguard.conformance.kit.ConformanceKit;
import dev.etagguard.samples.launcher.WebappServer;
import dev.etagguard.samples.wiki.launcher.WikiServer;

import org.junit.jupiter.api.Test;

/**
 * {@code java -jar etag-guard-conformance.jar}, the packaged kit in its own process with nothing
 * else on its class path, against the wiki behind the Jetty handler (needs the packaged jar: run
 * by failsafe).
 */
class ConformanceKitIT {

  @Test
  void thePackagedKitPassesAgainstTheWiki() throws Exception {
    Path jar = Path.of(ConformanceKit.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(jar.getFileName().toString()).as("the kit as packaged, %s", jar).isEqualTo("etag-guard-conformance.jar");
    try (WebappServer server = WikiServer.start(WebappServer.JETTY_HANDLER, 0)) {
      Path log = Files.createTempFile("etag-guard-conformance", ".txt");
      Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", jar.toString(), server.baseUrl() + "articles/", "--open=" + server.baseUrl() + "drafts/"))
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the kit finishes").isTrue();
      String table = Files.readString(log, StandardCharsets.UTF_8);
      Files.delete(log);
      System.out.println("=== java -jar etag-guard-conformance.jar against the wiki, adapter "
          + WebappServer.JETTY_HANDLER + " ===\n" + table + "exit status " + p.exitValue() + "\n");
      assertThat(p.exitValue()).as(table).isEqualTo(ConformanceKit.PASSED);
      ConformanceKitTest.assertKitPassed(table);
    }
  }
}
