package dev.etagguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;
import dev.etagguard.testing.Readme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The proxy's options: the command line, the properties file, the checks, and the README's table. */
class ProxyOptionsTest {

  @Test
  void theCommandLineOverridesTheConfigurationFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("proxy.properties");
    Files.writeString(file, "upstream=http://127.0.0.1:3000\nport=9000\nguardedPaths=/a/*\n");
    assertThat(ProxyMain.parse("--port=0", "--config=" + file, "--readPermits=true"))
        .containsExactlyInAnyOrderEntriesOf(Map.of("upstream", "http://127.0.0.1:3000", "port", "0",
            "guardedPaths", "/a/*", "readPermits", "true"));
    assertThat(ProxyMain.parse("--upstream=http://x:1", "--help")).isNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "port=1                         | expected --NAME=VALUE, got 'port=1'",
      "--config=/nonexistent/p.props  | --config: cannot read /nonexistent/p.props"})
  void badArgumentsAreNamed(String argument, String message) {
    assertThatThrownBy(() -> ProxyMain.parse(argument)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "upstream            | ftp://host/             | upstream",
      "upstream            | http://host:1/?q=1      | upstream",
      "port                | 70000                   | port",
      "upstreamTimeout     | 0s                      | upstreamTimeout",
      "upstreamConnections | 0                       | upstreamConnections",
      "metrics             | yes                     | metrics",
      "metricsPath         | metrics                 | metricsPath"})
  void malformedProxyOptionsAreRefusedByName(String name, String value, String named) {
    Map<String, String> options = new java.util.HashMap<>(Map.of("upstream", "http://127.0.0.1:1"));
    options.put(name, value);
    assertThatThrownBy(() -> ETagGuardProxy.fromOptions(options))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(named).hasMessageContaining(value);
  }

  @Test
  void guardOptionsAreCheckedByTheGuardAtStart() {
    ETagGuardProxy unknown = ETagGuardProxy.fromOptions(Map.of("upstream", "http://127.0.0.1:1", "port", "0",
        "guardedPathz", "/a/*"));
    assertThatThrownBy(unknown::start).hasStackTraceContaining("Unknown ETag Guard option 'guardedPathz'");
    assertThatThrownBy(() -> ETagGuardProxy.fromOptions(Map.of("port", "0")))
        .hasMessageContaining("'upstream' is required");
  }

  @Test
  void theGuardsOptionsAndTheProxysDoNotShareAName() {
    assertThat(ETagGuardProxy.optionNames()).doesNotContainAnyElementsOf(GuardSettings.optionNames());
  }

  @Test
  void theReadmeListsTheProxysOptionsWithTheirDefaults() throws Exception {
    List<String> rows = new ArrayList<>();
    for (String line : Readme.section("In front of any HTTP service").lines().toList()) {
      if (line.startsWith("| `")) {
        String[] cells = line.split("\\|");
        rows.add(cells[1].strip() + " " + cells[2].strip());
      }
    }
    List<String> expected = new ArrayList<>();
    for (Option<ETagGuardProxy.Builder> option : ETagGuardProxy.options()) {
      expected.add("`" + option.name() + "` " + (option.defaultValue().isEmpty() ? "(none)"
          : "`" + option.defaultValue() + "`"));
    }
    assertThat(rows).containsExactlyElementsOf(expected);
  }
}
