package dev.etagguard.spring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.util.unit.DataSize;

/**
 * ETag Guard's configuration under {@code etag-guard.}: every {@link GuardSettings#options() option}
 * in its kebab-case form (web.xml {@code guardedPaths} is {@code etag-guard.guarded-paths}), with the
 * same defaults, bound by {@link #bindSettings(Binder)}; plus {@code filter-order}, which only the
 * starter has and which is this class's property.
 *
 * <p>Each option is bound with the Java type of its {@link Option.Kind kind}: {@code Boolean},
 * {@code Integer}, {@code Long}, {@code Duration}, {@code DataSize}, {@code List<String>} (a YAML
 * list or a comma-separated string), {@code String}, or the option's enum; so Spring's relaxed
 * binding and units apply as to any property. The typed value goes straight to the option
 * ({@link Option#setValue}), which checks it as every other adapter does and rejects it with the
 * same message; an empty value means the default. The configuration metadata of the options
 * ({@code META-INF/additional-spring-configuration-metadata.json}) is generated from the same
 * table.
 *
 * <p>Not thread-safe; bound once at start.
 *
 * @since 0.1
 */
@ConfigurationProperties(ETagGuardProperties.PREFIX)
public class ETagGuardProperties {

  /** The prefix of ETag Guard's properties. */
  public static final String PREFIX = "etag-guard";

  /** The order of ETag Guard's filter when none is configured: after Spring Security's (-100). */
  public static final int DEFAULT_FILTER_ORDER = 0;

  /**
   * The order of ETag Guard's filter registration. The default, 0, runs it after Spring
   * Security's filter chain (-100), so unauthenticated clients get 401/403 before any 412 or 428
   * and cannot probe ETags, and ETag Guard's internal GETs run as the authenticated user.
   */
  private int filterOrder = DEFAULT_FILTER_ORDER;

  /**
   * The settings bound from the {@code etag-guard.*} properties of {@code binder}.
   *
   * @throws IllegalArgumentException naming the option, for a malformed value
   */
  public static GuardSettings bindSettings(Binder binder) {
    GuardSettings.Builder builder = GuardSettings.builder();
    bind(binder, PREFIX, GuardSettings.options(), builder);
    String store = ClusterPrerequisites.sharedStore(binder);
    if (!store.equals(GuardSettings.NO_SHARED_STORE)) {
      GuardSettings.option("sharedStore").set(builder, store);
    }
    for (Map.Entry<String, String> alias : CLUSTER_ALIASES.getOrDefault(store, Map.of()).entrySet()) {
      Option<GuardSettings.Builder> option = GuardSettings.option(alias.getValue());
      binder.bind(PREFIX + ".cluster." + store + "." + alias.getKey(), bindable(option.kind()))
          .ifBound(value -> option.setValue(builder, value));
    }
    return builder.build();
  }

  /**
   * The properties {@code etag-guard.cluster.<store>.*} of the starter's first releases, and the
   * option each stands for: {@code etag-guard.cluster.redis.address} is {@code redisAddress}
   * ({@code etag-guard.redis-address}). Those of the store that is enabled are bound after the
   * options, so they win.
   */
  static final Map<String, Map<String, String>> CLUSTER_ALIASES = Map.of(
      "redis", orderedMap("address", "redisAddress", "username", "redisUsername", "password", "redisPassword",
          "timeout", "redisTimeout", "key-prefix", "redisKeyPrefix", "entry-ttl", "redisEntryTtl",
          "lease-time", "leaseTime", "renew-lease", "renewLease"),
      "postgres", orderedMap("table", "postgresTable", "token-sequence", "postgresTokenSequence",
          "create-schema", "postgresCreateSchema", "lease-time", "leaseTime", "renew-lease", "renewLease"));

  private static Map<String, String> orderedMap(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Binds each option found under {@code prefix} with the type of its kind, into {@code builder}. */
  static <B> void bind(Binder binder, String prefix, List<Option<B>> options, B builder) {
    for (Option<B> option : options) {
      binder.bind(prefix + "." + kebab(option.name()), bindable(option.kind()))
          .ifBound(value -> option.setValue(builder, value instanceof DataSize size ? size.toBytes() : value));
    }
  }

  /** How a value of the kind is bound: sizes as {@link DataSize}, lists as lists of strings. */
  private static Bindable<?> bindable(Option.Kind<?> kind) {
    if (kind == Option.Kind.SIZE) {
      return Bindable.of(DataSize.class);
    }
    if (kind == Option.Kind.LIST) {
      return Bindable.listOf(String.class);
    }
    return Bindable.of(kind.type());
  }

  /** The property name of an option: {@code guardedPaths} is {@code guarded-paths}. */
  static String kebab(String name) {
    return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  public int getFilterOrder() {
    return filterOrder;
  }

  public void setFilterOrder(int filterOrder) {
    this.filterOrder = filterOrder;
  }
}
