package dev.etagguard.tomcat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Locale;

import dev.etagguard.GuardSettings;

import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.core.StandardHost;
import org.apache.tomcat.util.IntrospectionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The valve's attributes: one per option, the same names, read at start as server.xml gives them. */
class ValveOptionsTest {

  static java.util.stream.Stream<String> options() {
    return GuardSettings.optionNames().stream();
  }

  @ParameterizedTest
  @MethodSource("options")
  void everyOptionHasAPublicStringSetter(String option) throws Exception {
    Method setter = ETagGuardValve.class.getMethod(
        "set" + option.substring(0, 1).toUpperCase(Locale.ROOT) + option.substring(1), String.class);
    assertThat(Modifier.isPublic(setter.getModifiers())).isTrue();
    assertThat(setter.getReturnType()).isEqualTo(void.class);
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
