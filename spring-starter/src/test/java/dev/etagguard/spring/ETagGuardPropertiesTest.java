package dev.etagguard.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import dev.etagguard.GuardSettings;

import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code etag-guard.*} properties are exactly the {@link GuardSettings} options (plus the
 * starter's {@code filter-order}), with the same defaults; the generated configuration metadata
 * describes each, and the README's table lists each.
 */
class ETagGuardPropertiesTest {

  /** Properties that only the starter has. */
  private static final Set<String> STARTER_ONLY = Set.of("filter-order");

  @Test
  void thePropertiesAreTheOptionsInKebabCase() {
    Set<String> properties = new TreeSet<>();
    for (var descriptor : BeanUtils.getPropertyDescriptors(ETagGuardProperties.class)) {
      if (descriptor.getWriteMethod() != null) {
        properties.add(kebab(descriptor.getName()));
      }
    }
    assertThat(properties).isEqualTo(expectedKeys());
    assertThat(new ETagGuardProperties().toOptions().keySet()).containsExactlyElementsOf(GuardSettings.optionNames());
  }

  @Test
  void theDefaultsAreTheCoreDefaults() {
    assertSameSettings(new ETagGuardProperties().toSettings(), GuardSettings.DEFAULTS);
  }

  @Test
  void bindsListsDurationsAndSizes() {
    ETagGuardProperties p = bind(Map.of(
        "etag-guard.guarded-paths", "/articles/*, /drafts/*",
        "etag-guard.excluded-paths[0]", "/actuator/*",
        "etag-guard.key-query-parameters", "uploadId,partNumber",
        "etag-guard.permit-timeout", "500ms",
        "etag-guard.read-permits", "true",
        "etag-guard.weak-if-match-paths", "/legacy/*",
        "etag-guard.max-buffer-size", "64KB",
        "etag-guard.missing-precondition-status", "403",
        "etag-guard.authoritative-paths", "/articles/*, /authors/*",
        "etag-guard.invalidation-rules", "/articles/{id} -> /articles, /feed; /authors/{a}/books/{b} -> /authors/{a}"));
    GuardSettings s = p.toSettings();
    assertThat(s.authoritativePaths()).hasToString("[/articles/*, /authors/*]");
    assertThat(s.invalidationRules()).hasToString("[/articles/{id} -> /articles, /feed, /authors/{a}/books/{b} -> /authors/{a}]");
    assertThat(s.guardedPaths()).hasToString("[/articles/*, /drafts/*]");
    assertThat(s.excludedPaths()).hasToString("[/actuator/*]");
    assertThat(s.keyQueryParameters()).containsExactly("uploadId", "partNumber");
    assertThat(s.permitTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.readPermits()).isTrue();
    assertThat(s.weakIfMatch("/legacy/doc")).isTrue();
    assertThat(s.weakIfMatch("/articles/1")).isFalse();
    assertThat(s.maxBufferSize()).isEqualTo(64 * 1024);
    assertThat(s.missingPreconditionStatus()).isEqualTo(403);
  }

  @Test
  void malformedValuesGetTheSameMessageAsEverywhere() {
    ETagGuardProperties p = bind(Map.of("etag-guard.guarded-methods", "GET"));
    String core = messageOf(() -> GuardSettings.fromOptions(Map.of("guardedMethods", "GET")));
    assertThatThrownBy(p::toSettings).isInstanceOf(IllegalArgumentException.class).hasMessage(core)
        .hasMessageContaining("guardedMethods");
    p = bind(Map.of("etag-guard.permit-timeout", "0s"));
    assertThatThrownBy(p::toSettings).hasMessageContaining("'permitTimeout'").hasMessageContaining("must be positive");
    p = bind(Map.of("etag-guard.guarded-paths", "articles"));
    assertThatThrownBy(p::toSettings).hasMessageContaining("'guardedPaths'").hasMessageContaining("Not a servlet path pattern");
  }

  @Test
  void theGeneratedMetadataDescribesEveryProperty() throws Exception {
    Map<String, JsonNode> metadata = metadata();
    Set<String> expected = prefixed(expectedKeys());
    CLUSTER.forEach(k -> expected.add("etag-guard.cluster." + k));
    assertThat(metadata.keySet()).isEqualTo(expected);
    metadata.forEach((name, property) ->
        assertThat(property.path("description").asString("")).as("description of %s", name).isNotBlank());
  }

  /** Cluster properties carry the names of the cluster modules' builder methods, the client's aside. */
  @Test
  void clusterPropertiesAreTheBuildersOptions() {
    Set<String> clientOnly = Set.of("redis.enabled", "redis.address", "redis.username", "redis.password",
        "redis.timeout", "postgres.enabled");
    for (String key : CLUSTER) {
      if (clientOnly.contains(key)) {
        continue;
      }
      Class<?> builder = key.startsWith("redis.") ? dev.etagguard.cluster.redis.RedisCluster.Builder.class
          : dev.etagguard.cluster.postgres.PostgresCluster.Builder.class;
      String method = camel(key.substring(key.indexOf('.') + 1));
      assertThat(java.util.Arrays.stream(builder.getMethods()).map(java.lang.reflect.Method::getName))
          .as("%s has %s for etag-guard.cluster.%s", builder.getSimpleName(), method, key).contains(method);
    }
  }

  private static String camel(String kebab) {
    StringBuilder b = new StringBuilder();
    boolean up = false;
    for (char c : kebab.toCharArray()) {
      if (c == '-') {
        up = true;
      } else {
        b.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return b.toString();
  }

  @Test
  void theMetadataDefaultsBindToTheCoreDefaults() throws Exception {
    Map<String, String> defaults = new LinkedHashMap<>();
    metadata().forEach((name, property) -> {
      if (name.startsWith("etag-guard.cluster.")) {
        return;
      }
      JsonNode value = property.get("defaultValue");
      if (value != null) {
        List<String> items = new ArrayList<>();
        if (value.isArray()) {
          value.forEach(v -> items.add(v.asString()));
        } else {
          items.add(value.asString());
        }
        defaults.put(name, String.join(",", items));
      }
    });
    assertThat(defaults).containsKeys("etag-guard.etag-paths", "etag-guard.guarded-methods",
        "etag-guard.max-buffer-size", "etag-guard.permit-timeout");
    assertSameSettings(bind(defaults).toSettings(), GuardSettings.DEFAULTS);
  }

  @Test
  void theReadmeTableListsEveryProperty() throws Exception {
    Path readme = Path.of("..", "README.md");
    assertThat(readme).isRegularFile();
    String text = Files.readString(readme);
    int section = text.indexOf("## Spring Boot");
    assertThat(section).as("README has a '## Spring Boot' section").isNotNegative();
    int end = text.indexOf("\n## ", section + 1);
    String spring = end < 0 ? text.substring(section) : text.substring(section, end);
    int several = text.indexOf("## Running several instances");
    assertThat(several).as("README has a '## Running several instances' section").isNotNegative();
    int severalEnd = text.indexOf("\n## ", several + 1);
    spring += severalEnd < 0 ? text.substring(several) : text.substring(several, severalEnd);
    Set<String> listed = new TreeSet<>();
    for (String line : spring.lines().toList()) {
      if (line.startsWith("| `etag-guard.")) {
        listed.add(line.substring(3, line.indexOf('`', 3)));
      }
    }
    assertThat(listed).as("properties in the README's table").isEqualTo(metadata().keySet());
  }

  /** Option by option; sets compare as sets. */
  static void assertSameSettings(GuardSettings actual, GuardSettings expected) {
    assertThat(actual.enabled()).isEqualTo(expected.enabled());
    assertThat(actual.etagPaths()).isEqualTo(expected.etagPaths());
    assertThat(actual.excludedPaths()).isEqualTo(expected.excludedPaths());
    assertThat(actual.guardedPaths()).isEqualTo(expected.guardedPaths());
    assertThat(actual.guardedMethods()).containsExactlyInAnyOrderElementsOf(expected.guardedMethods());
    assertThat(actual.acceptIfMatchAny()).isEqualTo(expected.acceptIfMatchAny());
    assertThat(actual.missingPreconditionStatus()).isEqualTo(expected.missingPreconditionStatus());
    assertThat(actual.maxBufferSize()).isEqualTo(expected.maxBufferSize());
    assertThat(actual.permitTimeout()).isEqualTo(expected.permitTimeout());
    assertThat(actual.maxWaitersPerKey()).isEqualTo(expected.maxWaitersPerKey());
    assertThat(actual.readPermits()).isEqualTo(expected.readPermits());
    assertThat(actual.compressionMode()).isEqualTo(expected.compressionMode());
    assertThat(actual.validatorStoreSize()).isEqualTo(expected.validatorStoreSize());
    assertThat(actual.keyQueryParameters()).containsExactlyInAnyOrderElementsOf(expected.keyQueryParameters());
    assertThat(actual.authoritativePaths()).isEqualTo(expected.authoritativePaths());
    assertThat(actual.invalidationRules()).isEqualTo(expected.invalidationRules());
    assertThat(actual.weakIfMatchPaths()).isEqualTo(expected.weakIfMatchPaths());
    assertThat(actual.retryRecognition()).isEqualTo(expected.retryRecognition());
    assertThat(actual.retryClientFields()).isEqualTo(expected.retryClientFields());
    assertThat(actual.heuristicFreshness()).isEqualTo(expected.heuristicFreshness());
    assertThat(actual.digestCacheSize()).isEqualTo(expected.digestCacheSize());
  }

  /** The starter's cluster properties, under {@code etag-guard.cluster.}. */
  private static final Set<String> CLUSTER = Set.of("redis.enabled", "redis.address", "redis.username",
      "redis.password", "redis.timeout", "redis.key-prefix", "redis.lease-time", "redis.renew-lease",
      "redis.entry-ttl", "postgres.enabled", "postgres.table", "postgres.token-sequence", "postgres.lease-time",
      "postgres.renew-lease", "postgres.create-schema");

  private static Set<String> expectedKeys() {
    Set<String> keys = GuardSettings.optionNames().stream().map(ETagGuardPropertiesTest::kebab)
        .collect(Collectors.toCollection(TreeSet::new));
    keys.addAll(STARTER_ONLY);
    return keys;
  }

  private static Set<String> prefixed(Set<String> keys) {
    return keys.stream().map(k -> "etag-guard." + k).collect(Collectors.toCollection(TreeSet::new));
  }

  /** The starter's own generated metadata (not another jar's), by property name. */
  static Map<String, JsonNode> metadata() throws IOException, URISyntaxException {
    Path classes = Path.of(ETagGuardProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path file = classes.resolve("META-INF/spring-configuration-metadata.json");
    assertThat(file).as("generated by spring-boot-configuration-processor").isRegularFile();
    JsonNode root = JsonMapper.builder().build().readTree(Files.readString(file));
    Map<String, JsonNode> byName = new java.util.TreeMap<>();
    root.path("properties").forEach(p -> byName.put(p.path("name").asString(), p));
    return byName;
  }

  private static ETagGuardProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("etag-guard", ETagGuardProperties.class);
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }

  private static String messageOf(Runnable r) {
    try {
      r.run();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    throw new AssertionError("no exception");
  }
}
