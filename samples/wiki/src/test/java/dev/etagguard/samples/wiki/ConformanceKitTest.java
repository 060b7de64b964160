package dev.etagguard.samples.wiki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.etagguard.conformance.kit.ConformanceKit;
import dev.etagguard.samples.launcher.WebappServer;
import dev.etagguard.samples.wiki.launcher.WikiServer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance kit, through its command-line entry point ({@link ConformanceKit#run}, in this
 * process), against the wiki on each of the four adapters: {@code /articles/} (writes must be
 * conditional) and {@code --open=/drafts/}. Every check passes; the only skips are the rows that
 * POST to a single article, which the wiki does not offer (405). The table goes to the test output.
 */
class ConformanceKitTest {

  static final Pattern SUMMARY = Pattern.compile("(?m)^PASS: (\\d+) checks, (\\d+) passed, 0 failed, (\\d+) skipped$");

  @ParameterizedTest
  @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY, WebappServer.JETTY_HANDLER, WebappServer.TOMCAT_VALVE})
  void everyCheckPassesOn(String adapter) throws Exception {
    try (WebappServer server = WikiServer.start(adapter, 0)) {
      String base = server.baseUrl();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int exit = ConformanceKit.run(new String[] {base + "articles/", "--open=" + base + "drafts/"},
          new PrintStream(bytes, true, StandardCharsets.UTF_8));
      String table = bytes.toString(StandardCharsets.UTF_8);
      System.out.println("=== conformance kit against the wiki, adapter " + adapter + " ===\n" + table
          + "exit status " + exit + "\n");

      assertThat(exit).as(table).isEqualTo(ConformanceKit.PASSED);
      assertKitPassed(table);
      // The kit cleans up after itself.
      for (String area : List.of("articles", "drafts")) {
        HttpResponse<String> listing = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(base + area)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(listing.body()).as("what the kit left in /%s", area).doesNotContain("egc-");
      }
    }
  }

  /** The table of a run against the wiki: all passed, skips only for POST on an article. */
  static void assertKitPassed(String table) {
    Matcher summary = SUMMARY.matcher(table);
    assertThat(summary.find()).as(table).isTrue();
    assertThat(Integer.parseInt(summary.group(1))).as("checks").isGreaterThanOrEqualTo(85);
    assertThat(Integer.parseInt(summary.group(3))).as("skipped").isLessThanOrEqualTo(5);
    assertThat(table).doesNotContainPattern("(?m)^\\S+ +FAIL ")
        .containsPattern("(?m)^LU +PASS +0 lost +0 lost ")
        .containsPattern("(?m)^X20 +PASS ");
    Matcher skip = Pattern.compile("(?m)^(\\S+) +SKIP .*\\n +skipped: (.*)$").matcher(table);
    while (skip.find()) {
      assertThat(skip.group(2)).as("why %s was skipped", skip.group(1))
          .startsWith("the target does not offer POST on a single resource (405");
    }
  }
}
