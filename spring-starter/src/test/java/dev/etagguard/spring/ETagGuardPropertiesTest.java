package dev.etagguard.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

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

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;
import dev.etagguard.testing.OptionSamples;
import dev.etagguard.testing.Readme;

import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code etag-guard.*} properties are exactly the {@link GuardSettings} options (plus the
 * starter's {@code filter-order}), with the same defaults; the configuration metadata, generated
 * from the table of options, describes each, and the README's table lists each.
 */
class ETagGuardPropertiesTest {

  /** Properties that only the starter has. */
  private static final Set<String> STARTER_ONLY = Set.of("filter-order");

  /** Every option binds from its kebab-case name; the class's own bean properties are the starter's. */
  @Test
  void thePropertiesAreTheOptionsInKebabCase() {
    Set<String> own = new TreeSet<>();
    for (var descriptor : BeanUtils.getPropertyDescriptors(ETagGuardProperties.class)) {
      if (descriptor.getWriteMethod() != null) {
        own.add(kebab(descriptor.getName()));
      }
    }
    assertThat(own).isEqualTo(STARTER_ONLY);
    Map<String, String> properties = new LinkedHashMap<>();
    OptionSamples.values().forEach((name, value) -> properties.put("etag-guard." + kebab(name), value));
    assertThat(prefixed(expectedKeys())).containsAll(properties.keySet());
    OptionSamples.assertSamples(settings(properties));
  }

  /** Relaxed binding: {@code ETAG_GUARD_GUARDED_PATHS} is {@code etag-guard.guarded-paths}. */
  @Test
  void everyOptionFromAnEnvironmentVariable() {
    Map<String, Object> environment = new LinkedHashMap<>();
    OptionSamples.values().forEach((name, value) ->
        environment.put("ETAG_GUARD_" + kebab(name).replace('-', '_').toUpperCase(java.util.Locale.ROOT), value));
    Binder binder = new Binder(ConfigurationPropertySources.from(new SystemEnvironmentPropertySource("env", environment)));
    OptionSamples.assertSamples(ETagGuardProperties.bindSettings(binder));
  }

  @Test
  void theDefaultsAreTheCoreDefaults() {
    assertSameSettings(settings(Map.of()), GuardSettings.DEFAULTS);
  }

  @Test
  void bindsListsDurationsAndSizes() {
    GuardSettings s = settings(Map.of(
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
    String core = messageOf(() -> GuardSettings.fromOptions(Map.of("guardedMethods", "GET")));
    assertThatThrownBy(() -> settings(Map.of("etag-guard.guarded-methods", "GET")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage(core).hasMessageContaining("guardedMethods");
    assertThatThrownBy(() -> settings(Map.of("etag-guard.permit-timeout", "0s")))
        .hasMessageContaining("'permitTimeout'").hasMessageContaining("must be positive");
    assertThatThrownBy(() -> settings(Map.of("etag-guard.guarded-paths", "articles")))
        .hasMessageContaining("'guardedPaths'").hasMessageContaining("Not a servlet path pattern");
  }

  /**
   * The options' metadata is generated from {@link GuardSettings#options()}: this test fails when
   * the file differs, and {@code -Detagguard.regenerate=true} rewrites its properties (the test still
   * fails once, so the change is reviewed); the hints are written by hand.
   */
  @Test
  void theAdditionalMetadataIsTheTableOfOptions() throws Exception {
    Path file = Path.of("src/main/resources/META-INF/additional-spring-configuration-metadata.json");
    JsonMapper mapper = JsonMapper.builder().build();
    ObjectNode root = (ObjectNode) mapper.readTree(Files.readString(file));
    ArrayNode expected = mapper.createArrayNode();
    for (Option<GuardSettings.Builder> option : GuardSettings.options()) {
      expected.add(metadataOf(mapper, option));
    }
    String actual = String.valueOf(root.get("properties"));
    if (!actual.equals(expected.toString()) && Boolean.getBoolean("etagguard.regenerate")) {
      root.set("properties", expected);
      Files.writeString(file, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
      fail(file + " rewritten from GuardSettings.options(): review the change and run the test again");
    }
    assertThat(actual).as("%s, generated from GuardSettings.options() (-Detagguard.regenerate=true rewrites it)", file)
        .isEqualTo(expected.toString());
  }

  private static ObjectNode metadataOf(JsonMapper mapper, Option<GuardSettings.Builder> option) {
    ObjectNode property = mapper.createObjectNode();
    property.put("name", "etag-guard." + ETagGuardProperties.kebab(option.name()));
    Option.Kind<?> kind = option.kind();
    property.put("type", kind == Option.Kind.SIZE ? DataSize.class.getName()
        : kind == Option.Kind.LIST ? "java.util.List<java.lang.String>" : kind.type().getName());
    property.put("description", option.description());
    property.put("sourceType", ETagGuardProperties.class.getName());
    String text = option.defaultValue();
    if (text.isEmpty()) {
      return property;
    }
    Object value = option.valueIn(GuardSettings.builder());
    if (kind == Option.Kind.BOOLEAN) {
      property.put("defaultValue", (Boolean) value);
    } else if (kind == Option.Kind.INTEGER || kind == Option.Kind.LONG) {
      property.put("defaultValue", ((Number) value).longValue());
    } else if (kind == Option.Kind.SIZE) {
      property.put("defaultValue", springSize(((Number) value).longValue()));
    } else if (kind == Option.Kind.LIST) {
      ArrayNode items = property.putArray("defaultValue");
      for (String item : text.split("[,\\s]+")) {
        items.add(item);
      }
    } else {
      property.put("defaultValue", text);
    }
    return property;
  }

  /** Bytes as Spring writes a {@code DataSize}: in the largest unit that divides them. */
  private static String springSize(long bytes) {
    for (String unit : List.of("GB", "MB", "KB")) {
      long size = DataSize.parse("1" + unit).toBytes();
      if (bytes != 0 && bytes % size == 0) {
        return bytes / size + unit;
      }
    }
    return bytes + "B";
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
    assertSameSettings(settings(defaults), GuardSettings.DEFAULTS);
  }

  @Test
  void theReadmeTableListsEveryProperty() throws Exception {
    String spring = Readme.section("Spring Boot") + Readme.section("Running several instances");
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
    assertThat(actual.minContentRate()).isEqualTo(expected.minContentRate());
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

  private static GuardSettings settings(Map<String, String> values) {
    return ETagGuardProperties.bindSettings(new Binder(new MapConfigurationPropertySource(values)));
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
