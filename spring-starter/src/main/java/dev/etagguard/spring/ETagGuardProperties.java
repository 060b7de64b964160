package dev.etagguard.spring;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.etagguard.GuardSettings;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * ETag Guard's configuration under {@code etag-guard.}: every {@link GuardSettings} option in its
 * kebab-case form (web.xml {@code guardedPaths} is {@code etag-guard.guarded-paths}), with the same
 * defaults, plus {@code filter-order}, which only the starter has.
 *
 * <p>{@link #toSettings()} hands the values to {@link GuardSettings#fromOptions(Map)}, so values are
 * checked, and rejected with the same messages, as in every other adapter. As there, an empty value
 * means the option's default. Path and method lists may be YAML lists or comma-separated strings.
 *
 * <p>Not thread-safe; bound once at start.
 *
 * @since 0.1
 */
@ConfigurationProperties("etag-guard")
public class ETagGuardProperties {

  /** The order of ETag Guard's filter when none is configured: after Spring Security's (-100). */
  public static final int DEFAULT_FILTER_ORDER = 0;

  /**
   * Whether ETag Guard is on. When false, the auto-configuration backs off and no filter is
   * registered.
   */
  private boolean enabled = true;

  /**
   * Paths whose GET and HEAD responses get generated validators and conditional answers (servlet
   * patterns: /exact, /prefix/*, *.ext, /*).
   */
  private List<String> etagPaths = List.of("/*");

  /** Paths ETag Guard never touches (servlet patterns). */
  private List<String> excludedPaths = List.of();

  /**
   * Paths whose guarded methods must carry a precondition (If-Match, If-Unmodified-Since or
   * If-None-Match), else 428 Precondition Required (servlet patterns).
   */
  private List<String> guardedPaths = List.of();

  /**
   * The write methods that guarded-paths applies to; add POST if your POSTs update a resource.
   */
  private List<String> guardedMethods = List.of("PUT", "PATCH", "DELETE");

  /**
   * Whether "If-Match: *" satisfies the 428 policy (it proves that the resource exists, not which
   * version the client edits).
   */
  private boolean acceptIfMatchAny = true;

  /**
   * The status of a guarded write without a precondition: 428 (RFC 6585) or 403 for clients
   * written to older conventions.
   */
  private int missingPreconditionStatus = 428;

  /**
   * The largest response body held back to compute its ETag; larger bodies stream through without
   * a generated ETag, and 0 turns generated ETags off.
   */
  private DataSize maxBufferSize = DataSize.ofMegabytes(1);

  /**
   * The longest a write waits for its resource's turn before 503 Service Unavailable with
   * Retry-After.
   */
  private Duration permitTimeout = Duration.ofSeconds(10);

  /** How many requests may queue for one resource; more get 503 at once. */
  private int maxWaitersPerKey = 256;

  /**
   * Whether GET and HEAD take a shared permit of their resource, so a download never observes a
   * write in progress (reads of one resource share it, a write holds it alone, in arrival order).
   * Reads then wait for a write ahead of them, and writes for the reads ahead of them, per
   * resource only.
   */
  private boolean readPermits = false;

  /**
   * What a strong tag becomes on an encoded (compressed) response: {@code suffix} ({@code "T--gzip"},
   * as Jetty's compression does), {@code weaken} ({@code W/"T"}) or {@code identity} (the guard
   * hides Accept-Encoding from the handler for the reads it tags).
   */
  private dev.etagguard.CompressionMode compressionMode = dev.etagguard.CompressionMode.SUFFIX;

  /** How many resources' validators the built-in store remembers. */
  private long validatorStoreSize = 100_000;

  /**
   * Query parameters that are part of a resource's identity (e.g. uploadId, partNumber); other
   * query parameters address the same resource.
   */
  private List<String> keyQueryParameters = List.of();

  /**
   * Paths whose every write passes through ETag Guard (servlet patterns): a conditional GET or
   * HEAD of a resource whose validators are stored is answered 304 or 412 from the store without
   * running the application. Writes that bypass the guard leave the store stale.
   */
  private List<String> authoritativePaths = List.of();

  /**
   * Writes that change other resources too: rules "source -> target[, target]" with {name}
   * segments, separated by ";" or line breaks, e.g. "/articles/{id} -> /articles; /a/{x}/b -> /a/{x}":
   * after such a write the targets' stored validators are dropped. One string (not a list), since
   * a rule may list several targets separated by commas.
   */
  private String invalidationRules = "";

  /**
   * Paths where If-Match uses weak comparison, for clients that only have weak tags. A weak tag does
   * not prove byte identity, so there a write can pass against a semantically equivalent but
   * different representation; Range and If-Range stay strong. Logs a warning at start.
   */
  private List<String> weakIfMatchPaths = List.of();

  /**
   * Whether a retry of a conditional write that already succeeded (its answer was lost) is answered
   * with that success instead of 412, without running the application again. Off by default: see
   * the README's "Safe retries" for what a retry must repeat.
   */
  private boolean retryRecognition;

  /**
   * The request fields that tell one client from another for retry-recognition; a retry must
   * repeat them.
   */
  private List<String> retryClientFields = List.of("Authorization", "Proxy-Authorization", "Cookie",
      "Idempotency-Key");

  /**
   * Whether a response to which the guard adds Last-Modified, and whose handler stated no
   * freshness, may be reused by caches without revalidation; false adds Cache-Control: no-cache.
   */
  private boolean heuristicFreshness;

  /**
   * The most bytes of recent bodies kept, the last per resource, so an unchanged body's ETag is
   * found by comparing bytes instead of hashing them; 0 keeps none.
   */
  private DataSize digestCacheSize = DataSize.ofMegabytes(32);

  /**
   * The order of ETag Guard's filter registration. The default, 0, runs it after Spring
   * Security's filter chain (-100), so unauthenticated clients get 401/403 before any 412 or 428
   * and cannot probe ETags, and ETag Guard's internal GETs run as the authenticated user.
   */
  private int filterOrder = DEFAULT_FILTER_ORDER;

  /**
   * The values as {@link GuardSettings} options, named as in web.xml; {@link #getFilterOrder()
   * filter-order} is not one of them.
   */
  public Map<String, String> toOptions() {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("enabled", Boolean.toString(enabled));
    options.put("etagPaths", String.join(",", etagPaths));
    options.put("excludedPaths", String.join(",", excludedPaths));
    options.put("guardedPaths", String.join(",", guardedPaths));
    options.put("guardedMethods", String.join(",", guardedMethods));
    options.put("acceptIfMatchAny", Boolean.toString(acceptIfMatchAny));
    options.put("missingPreconditionStatus", Integer.toString(missingPreconditionStatus));
    options.put("maxBufferSize", Long.toString(maxBufferSize.toBytes()));
    options.put("permitTimeout", permitTimeout.toString());
    options.put("maxWaitersPerKey", Integer.toString(maxWaitersPerKey));
    options.put("readPermits", Boolean.toString(readPermits));
    options.put("compressionMode", compressionMode.optionValue());
    options.put("validatorStoreSize", Long.toString(validatorStoreSize));
    options.put("keyQueryParameters", String.join(",", keyQueryParameters));
    options.put("authoritativePaths", String.join(",", authoritativePaths));
    options.put("invalidationRules", invalidationRules);
    options.put("weakIfMatchPaths", String.join(",", weakIfMatchPaths));
    options.put("retryRecognition", Boolean.toString(retryRecognition));
    options.put("retryClientFields", String.join(",", retryClientFields));
    options.put("heuristicFreshness", Boolean.toString(heuristicFreshness));
    options.put("digestCacheSize", Long.toString(digestCacheSize.toBytes()));
    return options;
  }

  /**
   * The settings.
   *
   * @throws IllegalArgumentException naming the option, for a malformed value
   */
  public GuardSettings toSettings() {
    return GuardSettings.fromOptions(toOptions());
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public List<String> getEtagPaths() {
    return etagPaths;
  }

  public void setEtagPaths(List<String> etagPaths) {
    this.etagPaths = etagPaths;
  }

  public List<String> getExcludedPaths() {
    return excludedPaths;
  }

  public void setExcludedPaths(List<String> excludedPaths) {
    this.excludedPaths = excludedPaths;
  }

  public List<String> getGuardedPaths() {
    return guardedPaths;
  }

  public void setGuardedPaths(List<String> guardedPaths) {
    this.guardedPaths = guardedPaths;
  }

  public List<String> getGuardedMethods() {
    return guardedMethods;
  }

  public void setGuardedMethods(List<String> guardedMethods) {
    this.guardedMethods = guardedMethods;
  }

  public boolean isAcceptIfMatchAny() {
    return acceptIfMatchAny;
  }

  public void setAcceptIfMatchAny(boolean acceptIfMatchAny) {
    this.acceptIfMatchAny = acceptIfMatchAny;
  }

  public int getMissingPreconditionStatus() {
    return missingPreconditionStatus;
  }

  public void setMissingPreconditionStatus(int missingPreconditionStatus) {
    this.missingPreconditionStatus = missingPreconditionStatus;
  }

  public DataSize getMaxBufferSize() {
    return maxBufferSize;
  }

  public void setMaxBufferSize(DataSize maxBufferSize) {
    this.maxBufferSize = maxBufferSize;
  }

  public Duration getPermitTimeout() {
    return permitTimeout;
  }

  public void setPermitTimeout(Duration permitTimeout) {
    this.permitTimeout = permitTimeout;
  }

  public int getMaxWaitersPerKey() {
    return maxWaitersPerKey;
  }

  public void setMaxWaitersPerKey(int maxWaitersPerKey) {
    this.maxWaitersPerKey = maxWaitersPerKey;
  }

  public boolean isReadPermits() {
    return readPermits;
  }

  public void setReadPermits(boolean readPermits) {
    this.readPermits = readPermits;
  }

  public dev.etagguard.CompressionMode getCompressionMode() {
    return compressionMode;
  }

  public void setCompressionMode(dev.etagguard.CompressionMode compressionMode) {
    this.compressionMode = compressionMode;
  }

  public long getValidatorStoreSize() {
    return validatorStoreSize;
  }

  public void setValidatorStoreSize(long validatorStoreSize) {
    this.validatorStoreSize = validatorStoreSize;
  }

  public List<String> getKeyQueryParameters() {
    return keyQueryParameters;
  }

  public void setKeyQueryParameters(List<String> keyQueryParameters) {
    this.keyQueryParameters = keyQueryParameters;
  }

  public List<String> getAuthoritativePaths() {
    return authoritativePaths;
  }

  public void setAuthoritativePaths(List<String> authoritativePaths) {
    this.authoritativePaths = authoritativePaths;
  }

  public String getInvalidationRules() {
    return invalidationRules;
  }

  public void setInvalidationRules(String invalidationRules) {
    this.invalidationRules = invalidationRules;
  }

  /** Whether retries of writes that already succeeded are recognized. */
  public boolean isRetryRecognition() {
    return retryRecognition;
  }

  /** Sets whether retries of writes that already succeeded are recognized. */
  public void setRetryRecognition(boolean retryRecognition) {
    this.retryRecognition = retryRecognition;
  }

  /** The request fields that tell one client from another for retry-recognition. */
  public List<String> getRetryClientFields() {
    return retryClientFields;
  }

  /** Sets the request fields that tell one client from another for retry-recognition. */
  public void setRetryClientFields(List<String> retryClientFields) {
    this.retryClientFields = retryClientFields;
  }

  /** Whether responses with the guard's Last-Modified and no stated freshness stay heuristically fresh. */
  public boolean isHeuristicFreshness() {
    return heuristicFreshness;
  }

  /** Sets whether responses with the guard's Last-Modified and no stated freshness stay heuristically fresh. */
  public void setHeuristicFreshness(boolean heuristicFreshness) {
    this.heuristicFreshness = heuristicFreshness;
  }

  /** The most bytes of bodies kept to skip hashing unchanged ones. */
  public DataSize getDigestCacheSize() {
    return digestCacheSize;
  }

  /** Sets the most bytes of bodies kept to skip hashing unchanged ones. */
  public void setDigestCacheSize(DataSize digestCacheSize) {
    this.digestCacheSize = digestCacheSize;
  }

  /** Paths where If-Match uses weak comparison. */
  public List<String> getWeakIfMatchPaths() {
    return weakIfMatchPaths;
  }

  /** Sets the paths where If-Match uses weak comparison. */
  public void setWeakIfMatchPaths(List<String> weakIfMatchPaths) {
    this.weakIfMatchPaths = weakIfMatchPaths;
  }


  public int getFilterOrder() {
    return filterOrder;
  }

  public void setFilterOrder(int filterOrder) {
    this.filterOrder = filterOrder;
  }
}
