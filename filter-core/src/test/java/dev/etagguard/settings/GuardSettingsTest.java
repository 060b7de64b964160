package dev.etagguard.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link GuardSettings}: defaults, the option vocabulary and its validation. */
class GuardSettingsTest {

  /** Every option, a non-default value, and how to read it back. */
  private static final Map<String, Option> EVERY_OPTION = everyOption();

  private record Option(String value, Function<GuardSettings, Object> getter, Object expected) {
  }

  private static Map<String, Option> everyOption() {
    Map<String, Option> m = new LinkedHashMap<>();
    m.put("enabled", entry("false", s -> s.enabled(), false));
    m.put("etagPaths", entry("/api/*, *.json", s -> s.etagPaths(),
        List.of(new PathPattern("/api/*"), new PathPattern("*.json"))));
    m.put("excludedPaths", entry("/health /metrics/*", s -> s.excludedPaths(),
        List.of(new PathPattern("/health"), new PathPattern("/metrics/*"))));
    m.put("guardedPaths", entry("/articles/*", s -> s.guardedPaths(), List.of(new PathPattern("/articles/*"))));
    m.put("guardedMethods", entry("PUT,POST", s -> s.guardedMethods(), Set.of("PUT", "POST")));
    m.put("acceptIfMatchAny", entry("FALSE", s -> s.acceptIfMatchAny(), false));
    m.put("missingPreconditionStatus", entry("403", s -> s.missingPreconditionStatus(), 403));
    m.put("maxBufferSize", entry("64KiB", s -> s.maxBufferSize(), 65536));
    m.put("permitTimeout", entry("500ms", s -> s.permitTimeout(), Duration.ofMillis(500)));
    m.put("maxWaitersPerKey", entry("3", s -> s.maxWaitersPerKey(), 3));
    m.put("minContentRate", entry("16KiB", s -> s.minContentRate(), 16_384L));
    m.put("readPermits", entry("true", s -> s.readPermits(), true));
    m.put("compressionMode", entry("Weaken", s -> s.compressionMode(), dev.etagguard.settings.CompressionMode.WEAKEN));
    m.put("validatorStoreSize", entry("5000000000", s -> s.validatorStoreSize(), 5_000_000_000L));
    m.put("keyQueryParameters", entry("page, lang", s -> s.keyQueryParameters(), Set.of("page", "lang")));
    m.put("authoritativePaths", entry("/articles/*", s -> s.authoritativePaths(), List.of(new PathPattern("/articles/*"))));
    m.put("invalidationRules", entry("/articles/{id} -> /articles", s -> s.invalidationRules(),
        List.of(new InvalidationRule("/articles/{id}", List.of("/articles")))));
    m.put("weakIfMatchPaths", entry("/legacy/*, *.doc", s -> s.weakIfMatchPaths(),
        List.of(new PathPattern("/legacy/*"), new PathPattern("*.doc"))));
    m.put("retryRecognition", entry("true", s -> s.retryRecognition(), true));
    m.put("retryClientFields", entry("Authorization, X-User", s -> s.retryClientFields(),
        List.of("Authorization", "X-User")));
    m.put("heuristicFreshness", entry("true", s -> s.heuristicFreshness(), true));
    m.put("digestCacheSize", entry("8MiB", s -> s.digestCacheSize(), 8L * 1024 * 1024));
    m.put("sharedStore", entry("redis", s -> s.sharedStore(), "redis"));
    m.put("leaseTime", entry("5s", s -> s.leaseTime(), Duration.ofSeconds(5)));
    m.put("renewLease", entry("false", s -> s.renewLease(), false));
    m.put("redisAddress", entry("redis://cache:6380", s -> s.redisAddress(), "redis://cache:6380"));
    m.put("redisUsername", entry("guard", s -> s.redisUsername(), "guard"));
    m.put("redisPassword", entry("secret", s -> s.redisPassword(), "secret"));
    m.put("redisTimeout", entry("300ms", s -> s.redisTimeout(), Duration.ofMillis(300)));
    m.put("redisKeyPrefix", entry("wiki:", s -> s.redisKeyPrefix(), "wiki:"));
    m.put("redisEntryTtl", entry("2h", s -> s.redisEntryTtl(), Duration.ofHours(2)));
    m.put("postgresDataSource", entry("java:comp/env/jdbc/guard", s -> s.postgresDataSource(),
        "java:comp/env/jdbc/guard"));
    m.put("postgresTable", entry("app.guard", s -> s.postgresTable(), "app.guard"));
    m.put("postgresTokenSequence", entry("app.token", s -> s.postgresTokenSequence(), "app.token"));
    m.put("postgresCreateSchema", entry("false", s -> s.postgresCreateSchema(), false));
    return m;
  }

  private static Option entry(String value, Function<GuardSettings, Object> getter, Object expected) {
    return new Option(value, getter, expected);
  }

  @Test
  void defaults() {
    GuardSettings d = GuardSettings.DEFAULTS;
    assertThat(d.enabled()).isTrue();
    assertThat(d.etagPaths()).containsExactly(new PathPattern("/*"));
    assertThat(d.excludedPaths()).isEmpty();
    assertThat(d.guardedPaths()).isEmpty();
    assertThat(d.guardedMethods()).containsExactlyInAnyOrder("PUT", "PATCH", "DELETE");
    assertThat(d.acceptIfMatchAny()).isTrue();
    assertThat(d.missingPreconditionStatus()).isEqualTo(428);
    assertThat(d.maxBufferSize()).isEqualTo(1024 * 1024);
    assertThat(d.permitTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.maxWaitersPerKey()).isEqualTo(256);
    assertThat(d.minContentRate()).isEqualTo(1024);
    assertThat(d.readPermits()).isFalse();
    assertThat(d.compressionMode()).isEqualTo(dev.etagguard.settings.CompressionMode.SUFFIX);
    assertThat(d.validatorStoreSize()).isEqualTo(100_000);
    assertThat(d.keyQueryParameters()).isEmpty();
    assertThat(d.authoritativePaths()).isEmpty();
    assertThat(d.invalidationRules()).isEmpty();
    assertThat(d.weakIfMatchPaths()).isEmpty();
    assertThat(d.retryRecognition()).isFalse();
    assertThat(d.heuristicFreshness()).isFalse();
    assertThat(d.retryClientFields()).containsExactly("Authorization", "Proxy-Authorization", "Cookie",
        "Idempotency-Key");
    assertThat(d.weakIfMatch("/anything")).isFalse();
    assertThat(GuardSettings.fromOptions(Map.of())).usingRecursiveComparison().isEqualTo(d);
  }

  @Test
  void theTestCoversEveryOption() {
    assertThat(EVERY_OPTION.keySet()).containsExactlyElementsOf(GuardSettings.optionNames());
  }

  @Test
  void everyOptionIsReadFromItsName() {
    Map<String, String> options = new LinkedHashMap<>();
    EVERY_OPTION.forEach((name, o) -> options.put(name, o.value()));
    GuardSettings settings = GuardSettings.fromOptions(options);
    EVERY_OPTION.forEach((name, o) -> assertThat(o.getter().apply(settings)).as(name)
        .isEqualTo(o.expected())
        .isNotEqualTo(o.getter().apply(GuardSettings.DEFAULTS)));
  }

  @ParameterizedTest(name = "[{index}] blank {0} means default")
  @ValueSource(strings = {"enabled", "etagPaths", "guardedMethods", "maxBufferSize", "permitTimeout"})
  void blankValuesMeanDefault(String name) {
    Map<String, String> options = new HashMap<>();
    options.put(name, "  ");
    assertThat(GuardSettings.fromOptions(options)).usingRecursiveComparison().isEqualTo(GuardSettings.DEFAULTS);
    options.put(name, null);
    assertThat(GuardSettings.fromOptions(options)).usingRecursiveComparison().isEqualTo(GuardSettings.DEFAULTS);
  }

  @ParameterizedTest(name = "[{index}] unknown option {0}")
  @ValueSource(strings = {"etag-paths", "Enabled", "maxBuffer", "permit_timeout", ""})
  void unknownOptionsFailNamingTheOption(String name) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> GuardSettings.fromOptions(Map.of(name, "true")))
        .withMessageContaining("'" + name + "'")
        .withMessageContaining("Unknown");
  }

  @ParameterizedTest(name = "[{index}] {0}={1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      enabled                   | yes
      enabled                   | 1
      etagPaths                 | api/*
      excludedPaths             | /a/*/b
      guardedPaths              | /a*
      guardedMethods            | put
      guardedMethods            | GET
      guardedMethods            | PUT, OPTIONS
      acceptIfMatchAny          | maybe
      missingPreconditionStatus | 500
      missingPreconditionStatus | four-two-eight
      maxBufferSize             | -1
      maxBufferSize             | 1GB
      maxBufferSize             | 3MiBs
      maxBufferSize             | 4096MiB
      maxBufferSize             | 18014398509481984KiB
      permitTimeout             | 0s
      permitTimeout             | -5s
      permitTimeout             | ten seconds
      permitTimeout             | PT
      permitTimeout             | 10y
      sharedStore               | Redis
      sharedStore               | redis postgres
      leaseTime                 | soon
      renewLease                | always
      redisTimeout              | 1 second
      redisEntryTtl             | 1w
      postgresCreateSchema      | no
      maxWaitersPerKey          | -1
      minContentRate            | -1
      minContentRate            | 1KiB/s
      maxWaitersPerKey          | 99999999999
      readPermits               | on
      compressionMode           | gzip
      compressionMode           | SUFFIX2
      validatorStoreSize        | -1
      validatorStoreSize        | 1e6
      authoritativePaths        | articles/*
      invalidationRules         | /articles/{id}
      invalidationRules         | /articles/{id} -> /articles -> /x
      invalidationRules         | articles/{id} -> /articles
      invalidationRules         | /articles/{id} -> articles
      invalidationRules         | /articles/{id} ->
      invalidationRules         | -> /articles
      invalidationRules         | /articles/{id} -> /articles,
      invalidationRules         | /articles/{id} -> /authors/{author}
      invalidationRules         | /a/{x}/b/{x} -> /a/{x}
      invalidationRules         | /articles/{id -> /articles
      invalidationRules         | /articles/{} -> /articles
      invalidationRules         | /articles/*/x -> /articles
      invalidationRules         | /articles//{id} -> /articles
      invalidationRules         | /articles/../{id} -> /articles
      invalidationRules         | / -> /articles
      invalidationRules         | /ok/{id} -> /ok; /bad/{id} -> /bad/{other}
      weakIfMatchPaths          | legacy/*
      """)
  void malformedValuesFailNamingTheOption(String name, String value) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> GuardSettings.fromOptions(Map.of(name, value)))
        .withMessageContaining("'" + name + "'")
        .withMessageContaining(value);
  }

  @ParameterizedTest(name = "[{index}] maxBufferSize={0}")
  @CsvSource(delimiter = '|', textBlock = """
      0        | 0
      1048576  | 1048576
      64KiB    | 65536
      64kib    | 65536
      64 KiB   | 65536
      64KB     | 65536
      64K      | 65536
      1MiB     | 1048576
      1MB      | 1048576
      2M       | 2097152
      512B     | 512
      1_000    | 1000
      """)
  void sizes(String value, int bytes) {
    assertThat(GuardSettings.fromOptions(Map.of("maxBufferSize", value)).maxBufferSize()).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "[{index}] permitTimeout={0}")
  @CsvSource(delimiter = '|', textBlock = """
      10s     | PT10S
      500ms   | PT0.5S
      2m      | PT2M
      PT10S   | PT10S
      pt1m30s | PT1M30S
      250     | PT0.25S
      4h      | PT4H
      1d      | PT24H
      """)
  void durations(String value, Duration expected) {
    assertThat(GuardSettings.fromOptions(Map.of("permitTimeout", value)).permitTimeout()).isEqualTo(expected);
  }

  @Test
  void guardedAppliesToTheMethodsOnTheGuardedPaths() {
    GuardSettings s = GuardSettings.builder().guardedPaths("/articles/*").guardedMethods("PUT DELETE").build();
    assertThat(s.guarded("PUT", "/articles/1")).isTrue();
    assertThat(s.guarded("DELETE", "/articles")).isTrue();
    assertThat(s.guarded("PATCH", "/articles/1")).isFalse();
    assertThat(s.guarded("PUT", "/other")).isFalse();
    assertThat(GuardSettings.DEFAULTS.guarded("PUT", "/articles/1")).as("nothing guarded by default").isFalse();
  }

  @Test
  void excludedAndTaggedPaths() {
    GuardSettings s = GuardSettings.builder().etagPaths("/api/*").excludedPaths("*.bin").build();
    assertThat(s.tagged("/api/x")).isTrue();
    assertThat(s.tagged("/web/x")).isFalse();
    assertThat(s.excluded("/api/x.bin")).isTrue();
    assertThat(s.excluded("/api/x")).isFalse();
    assertThat(GuardSettings.DEFAULTS.tagged("/anything")).isTrue();
    assertThat(GuardSettings.DEFAULTS.excluded("/anything")).isFalse();
  }

  @Test
  void builderRejectsValuesWithTheOptionName() {
    assertThatIllegalArgumentException().isThrownBy(() -> GuardSettings.builder().permitTimeout(Duration.ZERO))
        .withMessageContaining("permitTimeout");
    assertThatIllegalArgumentException().isThrownBy(() -> GuardSettings.builder().maxWaitersPerKey(-1))
        .withMessageContaining("maxWaitersPerKey");
    assertThatIllegalArgumentException().isThrownBy(() -> GuardSettings.builder().missingPreconditionStatus(200))
        .withMessageContaining("missingPreconditionStatus");
    assertThatIllegalArgumentException().isThrownBy(() -> GuardSettings.builder().maxBufferSize(-1))
        .withMessageContaining("maxBufferSize");
    assertThatIllegalArgumentException().isThrownBy(() -> GuardSettings.builder().validatorStoreSize(-1))
        .withMessageContaining("validatorStoreSize");
    assertThatIllegalArgumentException().isThrownBy(() -> GuardSettings.builder().guardedMethods("HEAD"))
        .withMessageContaining("guardedMethods");
  }

  @Test
  void invalidationRulesRelateWrittenPathsToOthers() {
    GuardSettings s = GuardSettings.fromOptions(Map.of("invalidationRules",
        "/articles/{id} -> /articles; /a/{x}/b -> /a/{x}\n /authors/{a}/books/{b} -> /authors/{a}, /books, /authors/{a}/books"));
    assertThat(s.invalidationRules()).hasSize(3);
    assertThat(s.relatedPaths("/articles/12")).containsExactly("/articles");
    assertThat(s.relatedPaths("/articles/12/")).as("another resource: a trailing slash is a segment").isEmpty();
    assertThat(s.relatedPaths("/articles")).isEmpty();
    assertThat(s.relatedPaths("/articles/12/comments")).isEmpty();
    assertThat(s.relatedPaths("/a/7/b")).containsExactly("/a/7");
    assertThat(s.relatedPaths("/a/7/c")).isEmpty();
    assertThat(s.relatedPaths("/authors/ann/books/9")).containsExactly("/authors/ann", "/books", "/authors/ann/books");
    assertThat(GuardSettings.builder().invalidationRules("/x/{id} -> /x/{id}, /").build().relatedPaths("/x/1"))
        .as("a path is not related to itself").containsExactly("/");
    assertThat(GuardSettings.DEFAULTS.relatedPaths("/articles/12")).isEmpty();
  }

  @Test
  void authoritativePaths() {
    GuardSettings s = GuardSettings.builder().authoritativePaths("/articles/*, /feed").build();
    assertThat(s.authoritative("/articles/1")).isTrue();
    assertThat(s.authoritative("/articles")).isTrue();
    assertThat(s.authoritative("/feed")).isTrue();
    assertThat(s.authoritative("/other")).isFalse();
    assertThat(GuardSettings.DEFAULTS.authoritative("/articles/1")).as("none by default").isFalse();
  }

  @Test
  void toStringNamesEveryOption() {
    assertThat(GuardSettings.DEFAULTS.toString()).contains(GuardSettings.optionNames());
  }
}
