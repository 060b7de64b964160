package dev.etagguard.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;
import dev.etagguard.testing.OptionSamples;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.xml.XmlConfiguration;
import org.junit.jupiter.api.Test;

/**
 * The jetty-home module's files and {@link GuardSettings#options()}: {@code etc/etag-guard.xml}
 * calls {@link ETagGuardHandler#setOption} for every option with its property
 * {@code jetty.etagGuard.NAME}, and the ini-template documents each. Both are generated from the
 * table: a test here fails when they differ, and {@code -Detagguard.regenerate=true} rewrites them
 * (the test still fails once, so the change is reviewed).
 */
class JettyModuleFilesTest {

  private static final Path XML = Path.of("src/main/config/etc/etag-guard.xml");
  private static final Path MOD = Path.of("src/main/config/modules/etag-guard.mod");

  @Test
  void theXmlSetsEveryOptionFromItsProperty() throws IOException {
    List<String> calls = new ArrayList<>();
    for (Option<GuardSettings.Builder> option : GuardSettings.options()) {
      calls.add("        <Call name=\"setOption\"><Arg>" + option.name() + "</Arg><Arg><Property name=\"jetty.etagGuard."
          + option.name() + "\" default=\"\"/></Arg></Call>");
    }
    assertGenerated(XML, "        <!-- options: generated from GuardSettings.options(), checked by JettyModuleFilesTest -->",
        "        <!-- end of options -->", calls);
  }

  @Test
  void theIniTemplateDocumentsEveryOption() throws IOException {
    List<String> ini = new ArrayList<>();
    ini.add("## Option names are those of the Servlet filter, the Tomcat valve and Spring (etag-guard.*).");
    ini.add("## Blank means the default.");
    for (Option<GuardSettings.Builder> option : GuardSettings.options()) {
      ini.add("");
      ini.addAll(comment(option.description()));
      ini.add("# jetty.etagGuard." + option.name() + "=" + option.defaultValue());
    }
    assertGenerated(MOD, "#tag::documentation[]", "#end::documentation[]", ini);
  }

  /** The module's XML read as jetty-home reads it, with every property set. */
  @Test
  void everyOptionAsAModuleProperty() throws Exception {
    Map<String, String> properties = new java.util.LinkedHashMap<>();
    OptionSamples.values().forEach((name, value) -> properties.put("jetty.etagGuard." + name, value));
    OptionSamples.assertSamples(settingsOf(properties));
  }

  @Test
  void withoutPropertiesEveryOptionHasItsDefault() throws Exception {
    assertThat(settingsOf(Map.of())).usingRecursiveComparison().isEqualTo(GuardSettings.DEFAULTS);
  }

  private static GuardSettings settingsOf(Map<String, String> properties) throws Exception {
    Server server = new Server();
    XmlConfiguration xml = new XmlConfiguration(ResourceFactory.root().newResource(XML));
    xml.getProperties().putAll(properties);
    xml.configure(server);
    ETagGuardHandler guard = server.getDescendant(ETagGuardHandler.class);
    assertThat(guard).as("the XML inserts the handler").isNotNull();
    server.start();
    try {
      return guard.getEngine().settings();
    } finally {
      server.stop();
    }
  }

  /** A description as ini comment lines of at most 100 characters. */
  private static List<String> comment(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder("##");
    for (String word : text.split(" ")) {
      if (line.length() + 1 + word.length() > 100) {
        lines.add(line.toString());
        line = new StringBuilder("##");
      }
      line.append(' ').append(word);
    }
    lines.add(line.toString());
    return lines;
  }

  /**
   * Asserts that the lines of {@code file} between the lines {@code begin} and {@code end} are
   * {@code expected}; with {@code -Detagguard.regenerate=true}, writes them first.
   */
  private static void assertGenerated(Path file, String begin, String end, List<String> expected) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int from = lines.indexOf(begin);
    int to = lines.indexOf(end);
    assertThat(from).as("%s has the line '%s'", file, begin).isNotNegative();
    assertThat(to).as("%s has the line '%s' after '%s'", file, end, begin).isGreaterThan(from);
    List<String> actual = lines.subList(from + 1, to);
    if (!actual.equals(expected) && Boolean.getBoolean("etagguard.regenerate")) {
      List<String> rewritten = new ArrayList<>(lines.subList(0, from + 1));
      rewritten.addAll(expected);
      rewritten.addAll(lines.subList(to, lines.size()));
      Files.write(file, rewritten);
      fail(file + " rewritten from GuardSettings.options(): review the change and run the test again");
    }
    assertThat(actual).as("%s, generated from GuardSettings.options() (-Detagguard.regenerate=true rewrites it)", file)
        .containsExactlyElementsOf(expected);
  }
}
