package dev.etagguard.tomcat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.OptionSamples;

import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.core.StandardHost;
import org.apache.tomcat.util.IntrospectionUtils;
import org.apache.tomcat.util.digester.Digester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xml.sax.InputSource;

/** The valve's attributes: one per option, the same names, read at start as server.xml gives them. */
class ValveOptionsTest {

  /**
   * Every option as an attribute of {@code <Valve>}, read by Tomcat's digester with the rules
   * {@code server.xml} is read with ({@code className} names the class, every other attribute goes
   * through {@code IntrospectionUtils.setProperty}).
   */
  @Test
  void everyOptionIsAnAttributeOfTheValveElement() throws Exception {
    StringBuilder xml = new StringBuilder("<Valve className=\"" + ETagGuardValve.class.getName() + "\"");
    OptionSamples.values().forEach((name, value) -> xml.append("\n    ").append(name).append("=\"")
        .append(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")).append('"'));
    Digester digester = new Digester();
    digester.setRulesValidation(true);
    digester.setFakeAttributes(Map.of(Object.class, List.of("className")));
    digester.addObjectCreate("Valve", null, "className");
    digester.addSetProperties("Valve");
    ETagGuardValve valve = (ETagGuardValve) digester.parse(new InputSource(new StringReader(xml + "/>")));
    start(valve);
    try {
      OptionSamples.assertSamples(valve.settings());
    } finally {
      valve.stop();
      valve.destroy();
    }
  }

  /** The digester's way: IntrospectionUtils.setProperty, as for {@code <Valve guardedPaths="..."/>}. */
  @Test
  void attributesAsServerXmlSetsThemBecomeTheSettings() throws Exception {
    ETagGuardValve valve = new ETagGuardValve();
    for (String[] attribute : new String[][] {{"guardedPaths", "/articles/*"}, {"guardedMethods", "PUT, POST"},
        {"permitTimeout", "2s"}, {"maxBufferSize", "64KiB"}, {"missingPreconditionStatus", "403"},
        {"keyQueryParameters", "part"}, {"asyncSupported", "true"}}) {
      assertThat(IntrospectionUtils.setProperty(valve, attribute[0], attribute[1])).as(attribute[0]).isTrue();
    }
    start(valve);
    try {
      GuardSettings settings = valve.settings();
      assertThat(settings).isNotNull();
      assertThat(settings.guarded("PUT", "/articles/1")).isTrue();
      assertThat(settings.guarded("POST", "/articles/1")).isTrue();
      assertThat(settings.guarded("DELETE", "/articles/1")).isFalse();
      assertThat(settings.permitTimeout()).isEqualTo(Duration.ofSeconds(2));
      assertThat(settings.maxBufferSize()).isEqualTo(64 * 1024);
      assertThat(settings.missingPreconditionStatus()).isEqualTo(403);
      assertThat(settings.keyQueryParameters()).containsExactly("part");
      assertThat(valve.isAsyncSupported()).isTrue();
    } finally {
      valve.stop();
      valve.destroy();
    }
  }

  @Test
  void defaultsWithoutAttributes() throws Exception {
    ETagGuardValve valve = new ETagGuardValve();
    start(valve);
    try {
      assertThat(valve.settings()).hasToString(GuardSettings.DEFAULTS.toString());
      assertThat(valve.isAsyncSupported()).isTrue();
    } finally {
      valve.stop();
      valve.destroy();
    }
  }

  @ParameterizedTest
  @CsvSource({
      "maxBufferSize, lots",
      "permitTimeout, soon",
      "missingPreconditionStatus, 404",
      "enabled, yes",
      "guardedMethods, GET",
      "maxWaitersPerKey, -1",
      "etagPaths, no-slash",
  })
  void aMalformedValueStopsTheValveNamingTheOption(String option, String value) {
    ETagGuardValve valve = new ETagGuardValve();
    assertThat(IntrospectionUtils.setProperty(valve, option, value)).isTrue();
    assertThatThrownBy(() -> start(valve)).isInstanceOf(LifecycleException.class)
        .hasMessageContaining("'" + option + "'").hasMessageContaining(value);
    assertThat(valve.getState()).isEqualTo(LifecycleState.FAILED);
    destroyQuietly(valve);
  }

  @Test
  void anUnknownAttributeStopsTheValveNamingIt() {
    ETagGuardValve valve = new ETagGuardValve();
    assertThat(IntrospectionUtils.setProperty(valve, "guardedPath", "/articles/*"))
        .as("Tomcat warns about an attribute that is no option").isFalse();
    assertThatThrownBy(() -> start(valve)).isInstanceOf(LifecycleException.class)
        .hasMessageContaining("'guardedPath'").hasMessageContaining("guardedPaths");
    destroyQuietly(valve);
  }

  private static void start(ETagGuardValve valve) throws LifecycleException {
    valve.setContainer(new StandardHost());
    valve.start();
  }

  private static void destroyQuietly(ETagGuardValve valve) {
    try {
      valve.destroy();
    } catch (LifecycleException e) {
      // A failed valve may refuse; nothing is left to release.
    }
  }
}
