package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.etagguard.settings.GuardSettings;

/**
 * A value other than the default for every {@link GuardSettings} option, written so that every
 * route takes it as it is: web.xml init-param and context parameter, Valve attribute, jetty-home
 * property and Spring Boot property (sizes in bytes, since Spring's {@code DataSize} knows no
 * {@code KiB}). Each adapter's test sets them all through its route and compares what arrived with
 * {@link #settings()}, the core's reading of the same text. {@code sharedStore} names
 * {@link SampleSharedStore}, which the test-jar registers, so every route's engine can be built.
 */
public final class OptionSamples {

  private OptionSamples() {
  }

  /** Option name to value, in the table's order. */
  public static Map<String, String> values() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("enabled", "false");
    m.put("etagPaths", "/api/*, *.json");
    m.put("excludedPaths", "/health, /metrics/*");
    m.put("guardedPaths", "/articles/*");
    m.put("guardedMethods", "PUT, POST");
    m.put("acceptIfMatchAny", "false");
    m.put("missingPreconditionStatus", "403");
    m.put("maxBufferSize", "65536");
    m.put("permitTimeout", "500ms");
    m.put("maxWaitersPerKey", "3");
    m.put("minContentRate", "16384");
    m.put("readPermits", "true");
    m.put("compressionMode", "weaken");
    m.put("validatorStoreSize", "5000000000");
    m.put("keyQueryParameters", "page, lang");
    m.put("authoritativePaths", "/articles/*");
    m.put("invalidationRules", "/articles/{id} -> /articles, /feed; /authors/{a}/books/{b} -> /authors/{a}");
    m.put("weakIfMatchPaths", "/legacy/*");
    m.put("retryRecognition", "true");
    m.put("retryClientFields", "Authorization, X-User");
    m.put("heuristicFreshness", "true");
    m.put("digestCacheSize", "8388608");
    m.put("sharedStore", SampleSharedStore.NAME);
    m.put("leaseTime", "12s");
    m.put("renewLease", "false");
    m.put("redisAddress", "rediss://redis.internal:6380");
    m.put("redisUsername", "guard");
    m.put("redisPassword", "secret");
    m.put("redisTimeout", "250ms");
    m.put("redisKeyPrefix", "wiki:");
    m.put("redisEntryTtl", "2h");
    m.put("postgresDataSource", "java:comp/env/jdbc/sample");
    m.put("postgresTable", "app.guard_validators");
    m.put("postgresTokenSequence", "app.guard_token");
    m.put("postgresCreateSchema", "false");
    return m;
  }

  /** The settings the samples give, read by the core. */
  public static GuardSettings settings() {
    return GuardSettings.fromOptions(values());
  }

  /** Asserts that {@code actual} has every option at its sample value. */
  public static void assertSamples(GuardSettings actual) {
    assertThat(actual).usingRecursiveComparison().isEqualTo(settings());
  }
}
