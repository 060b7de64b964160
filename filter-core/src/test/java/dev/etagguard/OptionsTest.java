package dev.etagguard;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;
import dev.etagguard.settings.CompressionMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.InstanceOfAssertFactories.COLLECTION;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.etagguard.testing.OptionSamples;
import dev.etagguard.testing.Readme;

import org.junit.jupiter.api.Test;

/**
 * The table of options ({@link GuardSettings#options()}) and its two ways in: text, as every
 * configuration file gives it, and typed values, as Spring Boot binds them; and the README's
 * "Options", which lists the table.
 */
class OptionsTest {

  private static Option<GuardSettings.Builder> option(String name) {
    return GuardSettings.options().stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow();
  }

  /** Each adapter's test of its route relies on this: a sample that did not arrive shows. */
  @Test
  void theSamplesGiveEveryOptionAValueOtherThanItsDefault() {
    assertThat(OptionSamples.values().keySet()).containsExactlyElementsOf(GuardSettings.optionNames());
    OptionSamples.values().forEach((name, value) ->
        assertThat(GuardSettings.fromOptions(Map.of(name, value))).as(name)
            .usingRecursiveComparison().isNotEqualTo(GuardSettings.DEFAULTS));
  }

  @Test
  void everyOptionIsDescribedAndNoneMeansEmpty() {
    GuardSettings.Builder defaults = GuardSettings.builder();
    for (Option<GuardSettings.Builder> option : GuardSettings.options()) {
      assertThat(option.description()).as(option.name()).isNotBlank().endsWith(".");
      if (option.defaultValue().isEmpty()) {
        assertThat(option.valueIn(defaults)).as("%s: default none", option.name())
            .satisfiesAnyOf(v -> assertThat(v).asInstanceOf(COLLECTION).isEmpty(), v -> assertThat(v).isEqualTo(""));
      } else {
        assertThat(option.valueIn(defaults)).as("%s: default %s", option.name(), option.defaultValue())
            .asString().isNotEmpty().isNotEqualTo("[]");
      }
    }
  }

  @Test
  void typedValuesArriveAsTheirTextDoes() {
    Map<String, Object> typed = new LinkedHashMap<>();
    typed.put("enabled", false);
    typed.put("guardedMethods", List.of("PUT", "POST"));
    typed.put("missingPreconditionStatus", 403);
    typed.put("maxBufferSize", 65536L);
    typed.put("permitTimeout", Duration.ofMillis(500));
    typed.put("minContentRate", 16_384L);
    typed.put("compressionMode", CompressionMode.WEAKEN);
    typed.put("validatorStoreSize", 5_000_000_000L);
    typed.put("invalidationRules", "/articles/{id} -> /articles, /feed; /authors/{a}/books/{b} -> /authors/{a}");
    typed.put("retryClientFields", List.of("Authorization", "X-User"));
    typed.put("digestCacheSize", 8_388_608L);
    typed.forEach((name, value) -> {
      GuardSettings.Builder builder = GuardSettings.builder();
      option(name).setValue(builder, value);
      assertThat(builder.build()).as(name).usingRecursiveComparison()
          .isEqualTo(GuardSettings.fromOptions(Map.of(name, OptionSamples.values().get(name))));
    });
  }

  @Test
  void aListElementMayHoldSeveralItemsAndAnEmptyListMeansTheDefault() {
    GuardSettings.Builder builder = GuardSettings.builder();
    option("etagPaths").setValue(builder, List.of("/a/* /b/*", "*.json"));
    assertThat(builder.build().etagPaths()).hasToString("[/a/*, /b/*, *.json]");
    option("etagPaths").setValue(builder, List.of());
    option("guardedMethods").setValue(builder, List.of(""));
    option("invalidationRules").setValue(builder, " ");
    option("permitTimeout").setValue(builder, null);
    assertThat(builder.build()).usingRecursiveComparison()
        .isEqualTo(GuardSettings.fromOptions(Map.of("etagPaths", "/a/* /b/*, *.json")));
  }

  @Test
  void aMalformedTypedValueGetsTheMessageItsTextGets() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> option("missingPreconditionStatus").setValue(GuardSettings.builder(), 404))
        .withMessage(messageOf("missingPreconditionStatus", "404"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> option("guardedMethods").setValue(GuardSettings.builder(), List.of("GET")))
        .withMessage(messageOf("guardedMethods", "GET"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> option("digestCacheSize").setValue(GuardSettings.builder(), 4L << 30))
        .withMessage(messageOf("digestCacheSize", Long.toString(4L << 30)))
        .withMessageContaining("size out of range");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> option("permitTimeout").setValue(GuardSettings.builder(), "10s"))
        .withMessageContaining("'permitTimeout'").withMessageContaining("'10s'").withMessageContaining("duration");
  }

  private static String messageOf(String name, String value) {
    try {
      GuardSettings.fromOptions(Map.of(name, value));
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    throw new AssertionError(name + "=" + value + " was accepted");
  }

  @Test
  void theReadmeListsTheOptionsWithTheirDefaults() throws Exception {
    List<String> rows = new ArrayList<>();
    for (String line : Readme.section("Options").lines().toList()) {
      if (line.startsWith("| `")) {
        String[] cells = line.split("\\|");
        rows.add(cells[1].strip() + " " + cells[2].strip());
      }
    }
    List<String> expected = new ArrayList<>();
    for (Option<GuardSettings.Builder> option : GuardSettings.options()) {
      String defaultValue = option.defaultValue().isEmpty() ? "(none)" : "`" + option.defaultValue() + "`";
      expected.add("`" + option.name() + "` " + defaultValue);
    }
    assertThat(rows).as("the README's Options table: option and default").containsExactlyElementsOf(expected);
  }
}
