package dev.etagguard;

import dev.etagguard.decision.Preconditions;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The configuration of ETag Guard: immutable, built once at start, shared by every adapter.
 *
 * <p>Every option has one name, the same as a web.xml {@code <init-param>}, a Tomcat Valve
 * attribute, a Jetty {@code <Set>} and a builder method; Spring Boot uses its kebab-case form under
 * {@code etag-guard.}. {@link #fromOptions(Map)} reads string options and rejects unknown names
 * and malformed values with a message naming the option.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code enabled}</td><td>{@code true}</td><td>{@code false} passes every request through untouched</td></tr>
 *   <tr><td>{@code etagPaths}</td><td>{@code /*}</td><td>paths whose GET/HEAD responses get generated ETags and conditional handling</td></tr>
 *   <tr><td>{@code excludedPaths}</td><td>(none)</td><td>paths the guard never touches</td></tr>
 *   <tr><td>{@code guardedPaths}</td><td>(none)</td><td>paths whose writes must carry a precondition (428)</td></tr>
 *   <tr><td>{@code guardedMethods}</td><td>{@code PUT, PATCH, DELETE}</td><td>the write methods that {@code guardedPaths} applies to</td></tr>
 *   <tr><td>{@code acceptIfMatchAny}</td><td>{@code true}</td><td>whether {@code If-Match: *} satisfies the 428 policy</td></tr>
 *   <tr><td>{@code missingPreconditionStatus}</td><td>{@code 428}</td><td>428 (RFC 6585) or 403 for a guarded write without precondition</td></tr>
 *   <tr><td>{@code maxBufferSize}</td><td>{@code 1MiB}</td><td>the largest body held to compute its ETag; larger bodies stream untagged</td></tr>
 *   <tr><td>{@code permitTimeout}</td><td>{@code 10s}</td><td>the longest a write waits for its resource's permit before 503</td></tr>
 *   <tr><td>{@code maxWaitersPerKey}</td><td>{@code 256}</td><td>requests allowed to wait per resource; more get 503 at once</td></tr>
 *   <tr><td>{@code readPermits}</td><td>{@code false}</td><td>whether GET and HEAD take a shared permit of their resource, so a
 *       download never observes a write in progress (see {@link #readPermits()})</td></tr>
 *   <tr><td>{@code compressionMode}</td><td>{@code suffix}</td><td>{@code suffix}, {@code weaken} or {@code identity}: what a
 *       strong tag becomes on an encoded (compressed) response (see {@link CompressionMode})</td></tr>
 *   <tr><td>{@code validatorStoreSize}</td><td>{@code 100000}</td><td>the most resources whose validators are remembered</td></tr>
 *   <tr><td>{@code keyQueryParameters}</td><td>(none)</td><td>query parameters that are part of a resource's identity</td></tr>
 *   <tr><td>{@code authoritativePaths}</td><td>(none)</td><td>paths whose every write passes through the guard, so a
 *       conditional GET/HEAD of a known resource is answered 304 or 412 from the validator store without running the
 *       handler (see {@link #authoritativePaths()})</td></tr>
 *   <tr><td>{@code invalidationRules}</td><td>(none)</td><td>writes that change other resources too, e.g.
 *       {@code /articles/{id} -> /articles}: their validators are dropped (see {@link InvalidationRule})</td></tr>
 *   <tr><td>{@code retryRecognition}</td><td>{@code false}</td><td>whether a retry of a conditional write that already
 *       succeeded is answered with that success instead of 412 (see {@link #retryRecognition()})</td></tr>
 *   <tr><td>{@code retryClientFields}</td><td>{@code Authorization, Proxy-Authorization, Cookie, Idempotency-Key}</td>
 *       <td>the request fields that tell one client from another, which a retry must repeat (see
 *       {@link #retryClientFields()})</td></tr>
 *   <tr><td>{@code weakIfMatchPaths}</td><td>(none)</td><td>paths where If-Match uses weak comparison, for clients that only
 *       have weak tags (see {@link #weakIfMatchPaths()})</td></tr>
 *   <tr><td>{@code heuristicFreshness}</td><td>{@code false}</td><td>whether a response to which the guard adds
 *       Last-Modified, and whose handler stated no freshness, may be reused by caches without asking; {@code false}
 *       adds {@code Cache-Control: no-cache} to it (see {@link #heuristicFreshness()})</td></tr>
 *   <tr><td>{@code digestCacheSize}</td><td>{@code 32MiB}</td><td>bytes of recent bodies kept, the last per resource, so
 *       an unchanged body's ETag is found by comparing bytes instead of hashing them; {@code 0} turns it off (see
 *       {@link #digestCacheSize()})</td></tr>
 * </table>
 *
 * <p>Thread-safe (immutable).
 *
 * @since 0.1
 */
public final class GuardSettings {

  /** The settings with every option at its default. */
  public static final GuardSettings DEFAULTS = builder().build();

  private static final Map<String, BiConsumer<Builder, String>> OPTIONS = options();

  private final boolean enabled;
  private final List<PathPattern> etagPaths;
  private final List<PathPattern> excludedPaths;
  private final List<PathPattern> guardedPaths;
  private final Set<String> guardedMethods;
  private final boolean acceptIfMatchAny;
  private final int missingPreconditionStatus;
  private final int maxBufferSize;
  private final Duration permitTimeout;
  private final int maxWaitersPerKey;
  private final boolean readPermits;
  private final CompressionMode compressionMode;
  private final long validatorStoreSize;
  private final Set<String> keyQueryParameters;
  private final List<PathPattern> authoritativePaths;
  private final List<InvalidationRule> invalidationRules;
  private final List<PathPattern> weakIfMatchPaths;
  private final boolean retryRecognition;
  private final List<String> retryClientFields;
  private final boolean heuristicFreshness;
  private final long digestCacheSize;

  private GuardSettings(Builder b) {
    this.enabled = b.enabled;
    this.etagPaths = b.etagPaths;
    this.excludedPaths = b.excludedPaths;
    this.guardedPaths = b.guardedPaths;
    this.guardedMethods = Collections.unmodifiableSet(new LinkedHashSet<>(b.guardedMethods));
    this.acceptIfMatchAny = b.acceptIfMatchAny;
    this.missingPreconditionStatus = b.missingPreconditionStatus;
    this.maxBufferSize = b.maxBufferSize;
    this.permitTimeout = b.permitTimeout;
    this.maxWaitersPerKey = b.maxWaitersPerKey;
    this.readPermits = b.readPermits;
    this.compressionMode = b.compressionMode;
    this.validatorStoreSize = b.validatorStoreSize;
    this.keyQueryParameters = Collections.unmodifiableSet(new LinkedHashSet<>(b.keyQueryParameters));
    this.authoritativePaths = b.authoritativePaths;
    this.invalidationRules = b.invalidationRules;
    this.weakIfMatchPaths = b.weakIfMatchPaths;
    this.retryRecognition = b.retryRecognition;
    this.retryClientFields = List.copyOf(b.retryClientFields);
    this.heuristicFreshness = b.heuristicFreshness;
    this.digestCacheSize = b.digestCacheSize;
  }

  /** A builder with every option at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Settings from string options, as web.xml init-params, Valve attributes or properties give them.
   * Blank values mean "default".
   *
   * @throws IllegalArgumentException naming the option, for an unknown option or a malformed value
   */
  public static GuardSettings fromOptions(Map<String, String> options) {
    Builder builder = builder();
    for (Map.Entry<String, String> e : options.entrySet()) {
      BiConsumer<Builder, String> setter = OPTIONS.get(e.getKey());
      if (setter == null) {
        throw new IllegalArgumentException("Unknown ETag Guard option '" + e.getKey() + "'; known options: "
            + String.join(", ", OPTIONS.keySet()));
      }
      String value = e.getValue() == null ? "" : e.getValue().strip();
      if (value.isEmpty()) {
        continue;
      }
      try {
        setter.accept(builder, value);
      } catch (IllegalArgumentException | DateTimeParseException ex) {
        throw new IllegalArgumentException("Invalid value '" + value + "' for ETag Guard option '"
            + e.getKey() + "': " + ex.getMessage(), ex);
      }
    }
    return builder.build();
  }

  /** The names of all options, in documentation order. */
  public static Set<String> optionNames() {
    return OPTIONS.keySet();
  }

  private static Map<String, BiConsumer<Builder, String>> options() {
    Map<String, BiConsumer<Builder, String>> m = new LinkedHashMap<>();
    m.put("enabled", (b, v) -> b.enabled(parseBoolean(v)));
    m.put("etagPaths", (b, v) -> b.etagPaths(v));
    m.put("excludedPaths", (b, v) -> b.excludedPaths(v));
    m.put("guardedPaths", (b, v) -> b.guardedPaths(v));
    m.put("guardedMethods", (b, v) -> b.guardedMethods(v));
    m.put("acceptIfMatchAny", (b, v) -> b.acceptIfMatchAny(parseBoolean(v)));
    m.put("missingPreconditionStatus", (b, v) -> b.missingPreconditionStatus(parseInt(v)));
    m.put("maxBufferSize", (b, v) -> b.maxBufferSize(parseSize(v)));
    m.put("permitTimeout", (b, v) -> b.permitTimeout(parseDuration(v)));
    m.put("maxWaitersPerKey", (b, v) -> b.maxWaitersPerKey(parseInt(v)));
    m.put("readPermits", (b, v) -> b.readPermits(parseBoolean(v)));
    m.put("compressionMode", (b, v) -> b.compressionMode(CompressionMode.parse(v)));
    m.put("validatorStoreSize", (b, v) -> b.validatorStoreSize(parseLong(v)));
    m.put("keyQueryParameters", (b, v) -> b.keyQueryParameters(v));
    m.put("authoritativePaths", (b, v) -> b.authoritativePaths(v));
    m.put("invalidationRules", (b, v) -> b.invalidationRules(v));
    m.put("weakIfMatchPaths", (b, v) -> b.weakIfMatchPaths(v));
    m.put("retryRecognition", (b, v) -> b.retryRecognition(parseBoolean(v)));
    m.put("retryClientFields", (b, v) -> b.retryClientFields(v));
    m.put("heuristicFreshness", (b, v) -> b.heuristicFreshness(parseBoolean(v)));
    m.put("digestCacheSize", (b, v) -> b.digestCacheSize(parseSize(v)));
    return Collections.unmodifiableMap(m);
  }

  /** Whether the guard is on. Default {@code true}. */
  public boolean enabled() {
    return enabled;
  }

  /** Paths whose GET and HEAD responses get generated validators and conditional handling. */
  public List<PathPattern> etagPaths() {
    return etagPaths;
  }

  /** Paths the guard never touches. */
  public List<PathPattern> excludedPaths() {
    return excludedPaths;
  }

  /** Paths whose {@link #guardedMethods()} must carry a precondition. */
  public List<PathPattern> guardedPaths() {
    return guardedPaths;
  }

  /** The methods that must carry a precondition on {@link #guardedPaths()}. */
  public Set<String> guardedMethods() {
    return guardedMethods;
  }

  /** Whether {@code If-Match: *} satisfies the write-precondition policy. */
  public boolean acceptIfMatchAny() {
    return acceptIfMatchAny;
  }

  /** The status for a guarded write without precondition: 428 or 403. */
  public int missingPreconditionStatus() {
    return missingPreconditionStatus;
  }

  /** The largest response body, in bytes, held back to compute its ETag. */
  public int maxBufferSize() {
    return maxBufferSize;
  }

  /** The longest a write waits for its resource's permit. */
  public Duration permitTimeout() {
    return permitTimeout;
  }

  /** How many requests may wait for one resource's permit. */
  public int maxWaitersPerKey() {
    return maxWaitersPerKey;
  }

  /**
   * Whether GET and HEAD take a shared permit of their resource before the handler runs. Default
   * {@code false}.
   *
   * <p>Without it a read runs beside a write to the same resource: a handler that reads storage
   * in steps (chunks, then metadata) may return a mix of two versions, or part of one, and the
   * generated ETag is then the digest of that mix, honest about its bytes but of a version that
   * never existed. The guard still never stores such a tag over a newer write's, so no update is
   * lost, but the download is torn. With it, reads of one resource share its permit, a write
   * holds it alone, and both queue in arrival order (a waiting write is not overtaken by later
   * reads): a download sees one whole version, and a resumed one never splices two.
   *
   * <p>The cost is waiting, per resource only: a read waits for the write ahead of it (and the
   * write for the reads ahead of it), up to {@link #permitTimeout()} before 503, and readers count
   * towards {@link #maxWaitersPerKey()}. Reads of different resources, and reads of a resource
   * nobody writes, never wait. Turn it on where handlers cannot read a consistent snapshot
   * themselves.
   */
  public boolean readPermits() {
    return readPermits;
  }

  /**
   * What a strong tag becomes on an encoded (compressed) response. Default
   * {@link CompressionMode#SUFFIX}.
   */
  public CompressionMode compressionMode() {
    return compressionMode;
  }

  /** How many resources' validators the built-in store remembers. */
  public long validatorStoreSize() {
    return validatorStoreSize;
  }

  /** The query parameters that are part of a resource key. */
  public Set<String> keyQueryParameters() {
    return keyQueryParameters;
  }

  /**
   * Paths whose every write passes through the guard, so that the validator store is authoritative
   * for them. Default none.
   *
   * <p>A GET or HEAD of such a path that carries a precondition, of a resource whose validators the
   * store holds, is decided on the stored validators before the handler runs (RFC 9110 13.2.2):
   * 304 when If-None-Match matches or, without If-None-Match, If-Modified-Since finds it not
   * modified; 412 when If-Match or If-Unmodified-Since fails. The handler does not run for those
   * answers. Everything else runs the handler as usual: unconditional requests, preconditions that
   * hold (the full or partial 200), If-Range, and resources the store does not know (it may forget
   * any entry).
   *
   * <p>The answer is made while no write of the resource is in progress: with {@link #readPermits()}
   * the read has its shared permit; without, the guard takes one only if it is free at once, and
   * otherwise runs the handler. Every write through the guard updates or drops the stored
   * validators before it releases its permit, whatever its outcome, so a stored tag is the tag of
   * the representation the last write left. A write that does not pass through the guard (another
   * application, a batch job, a path in {@code excludedPaths}, a write to another path that changes
   * this one, unless an {@link #invalidationRules() invalidation rule} says so) leaves the store
   * stale, and clients then get 304 for a representation that has changed: list only paths whose
   * every write passes through this guard. The 304 carries the stored ETag and Last-Modified only,
   * so the mode suits resources whose responses do not vary (Vary) and whose caching headers need
   * not be repeated on a 304.
   */
  public List<PathPattern> authoritativePaths() {
    return authoritativePaths;
  }

  /**
   * Which writes change other resources too: after a write whose handler ran (whatever its
   * outcome), the validators of the related paths are dropped from the store, so a listing is not
   * answered 304 from the store after an item changed. Default none. See {@link InvalidationRule}
   * for the syntax.
   */
  public List<InvalidationRule> invalidationRules() {
    return invalidationRules;
  }

  /** Whether conditional reads of this path may be answered from the validator store. */
  public boolean authoritative(String path) {
    return !authoritativePaths.isEmpty() && PathPattern.any(authoritativePaths, path);
  }

  /** The paths a write to {@code path} changes besides itself, by {@link #invalidationRules()}. */
  public List<String> relatedPaths(String path) {
    if (invalidationRules.isEmpty()) {
      return List.of();
    }
    List<String> related = new java.util.ArrayList<>(2);
    for (InvalidationRule rule : invalidationRules) {
      for (String p : rule.related(path)) {
        if (!p.equals(path) && !related.contains(p)) {
          related.add(p);
        }
      }
    }
    return related;
  }

  /**
   * Paths where If-Match uses weak comparison instead of strong (RFC 9110 8.8.3.2), so that
   * {@code If-Match: W/"x"} matches a current {@code W/"x"} or {@code "x"}. Default none.
   *
   * <p>For clients and stacks that only have weak tags, which the RFC's strong comparison always
   * rejects. What it gives up: a weak tag does not prove byte identity, so on these paths a write
   * can pass against a representation that is only semantically equivalent to the one the client
   * read (a different encoding, whitespace, field order). If-Range and Range stay strong: a range
   * is never cut from a representation identified by a weak tag. If-None-Match is weak everywhere.
   */
  public List<PathPattern> weakIfMatchPaths() {
    return weakIfMatchPaths;
  }

  /**
   * Whether a retry of a conditional write that already succeeded is answered with that success.
   * Default {@code false}.
   *
   * <p>A client sends {@code PUT} with {@code If-Match: "v1"}; the write succeeds but the answer is
   * lost (a timeout, a proxy's error, a dropped connection), and the client sends the same request
   * again. The resource is now at the version that write made, so the precondition fails, and a
   * 412 would leave the client unable to tell its own success from someone else's overwrite. The
   * guard remembers, per resource, the last successful PUT, PATCH or DELETE that carried a
   * precondition; an identical request while the resource still has exactly the validators that
   * write left is answered with the original status and validators, without running the handler
   * again (RFC 9110 13.1.1 and 13.1.4 allow a 2xx when the server can tell the change already
   * happened). Any other write to the resource ends the recognition. Memory is bounded by
   * {@link #validatorStoreSize()} entries.
   *
   * <p>Identical means: the same method, the same target (path and the whole query), the same
   * preconditions, the same {@link #retryClientFields() client fields}, the same content metadata
   * ({@code Content-Type}, {@code Content-Encoding}, {@code Content-Language},
   * {@code Content-Location}, {@code Content-Range}, {@code Content-Disposition} and the digest
   * fields) and the same content, byte for byte. The guard must have seen the whole content of
   * both requests itself: a write whose handler did not read its content to the end through the
   * guard (content parsed by a filter before the guard, a form read with {@code getParameter}, a
   * non-blocking read, chunked content, whose length is not declared) is never recognized, and its retry
   * gets 412. The option is off by default because no guard can see everything a handler may
   * act on: a handler whose result depends on other request fields (a custom header, the time,
   * state outside the resource) can have two requests that look identical here do different
   * things, and the second would be answered as the first. Turn it on where writes depend only on
   * what is listed above.
   */
  public boolean retryRecognition() {
    return retryRecognition;
  }

  /**
   * The request fields that tell one client's writes from another's (option
   * {@code retryRecognition}): a retry must repeat them exactly, so the same write from another
   * client is never taken for a retry. Default {@code Authorization, Proxy-Authorization, Cookie,
   * Idempotency-Key}. The option replaces the list: to add the fields your clients authenticate
   * with (e.g. {@code X-User}, {@code X-Api-Key}), list the defaults too. Two clients that send byte-identical writes with none of these fields
   * cannot be told apart, and the second is answered as a retry of the first.
   */
  public List<String> retryClientFields() {
    return retryClientFields;
  }

  /**
   * Whether a response to which the guard adds {@code Last-Modified}, and whose handler stated no
   * freshness, may be reused by caches without revalidation. Default {@code false}.
   *
   * <p>A response with {@code Last-Modified} and no explicit freshness ({@code Cache-Control}
   * {@code max-age}, {@code s-maxage}, {@code no-cache} or {@code no-store}, or {@code Expires})
   * is heuristically fresh (RFC 9111 4.2.2): a cache, a browser's among them, may reuse it for a
   * fraction of its age without asking, typically a tenth: a page changed a day ago for 2.4 hours.
   * A browser then reads its own write back stale, and its next write, made with the old ETag,
   * gets 412. The guard must not make a response cacheable that way when the application did not
   * say so: where it supplies the {@code Last-Modified} and the handler stated no freshness, it
   * adds {@code Cache-Control: no-cache} (appended to the handler's own {@code Cache-Control},
   * e.g. {@code private, no-cache}), so caches keep the response but revalidate it every time,
   * which the guard answers with 304. {@code true} leaves such responses heuristically fresh.
   * Responses with the handler's own {@code Last-Modified} or freshness are never changed.
   */
  public boolean heuristicFreshness() {
    return heuristicFreshness;
  }

  /**
   * The most bytes of bodies kept to skip hashing unchanged ones. Default 32 MiB; {@code 0} keeps
   * none. For each resource the guard keeps the last body it digested (one it held whole, up to
   * {@link #maxBufferSize()}) with its tag; the next body of that resource is compared with it as
   * it is written, and when equal in every byte and in length it gets that tag without being
   * hashed or copied. Exact, whatever the generator: no tag is ever reused for other bytes. The
   * bodies are held through soft references, so the JVM may drop them under memory pressure
   * before it runs out of heap.
   */
  public long digestCacheSize() {
    return digestCacheSize;
  }

  /** Whether If-Match on this path uses weak comparison ({@link #weakIfMatchPaths()}). */
  public boolean weakIfMatch(String path) {
    return PathPattern.any(weakIfMatchPaths, path);
  }

  /** Whether the path is in scope at all: not excluded. */
  public boolean excluded(String path) {
    return PathPattern.any(excludedPaths, path);
  }

  /** Whether responses of this path get generated validators. */
  public boolean tagged(String path) {
    return PathPattern.any(etagPaths, path);
  }

  /** Whether a request with this method and path must carry a precondition. */
  public boolean guarded(String method, String path) {
    return guardedMethods.contains(method) && PathPattern.any(guardedPaths, path);
  }

  @Override
  public String toString() {
    return "GuardSettings{enabled=" + enabled + ", etagPaths=" + etagPaths + ", excludedPaths=" + excludedPaths
        + ", guardedPaths=" + guardedPaths + ", guardedMethods=" + guardedMethods
        + ", acceptIfMatchAny=" + acceptIfMatchAny + ", missingPreconditionStatus=" + missingPreconditionStatus
        + ", maxBufferSize=" + maxBufferSize + ", permitTimeout=" + permitTimeout
        + ", maxWaitersPerKey=" + maxWaitersPerKey + ", readPermits=" + readPermits
        + ", compressionMode=" + compressionMode.optionValue()
        + ", validatorStoreSize=" + validatorStoreSize
        + ", keyQueryParameters=" + keyQueryParameters + ", authoritativePaths=" + authoritativePaths
        + ", invalidationRules=" + invalidationRules + ", weakIfMatchPaths=" + weakIfMatchPaths
        + ", retryRecognition=" + retryRecognition + ", retryClientFields=" + retryClientFields
        + ", heuristicFreshness=" + heuristicFreshness + ", digestCacheSize=" + digestCacheSize + "}";
  }

  static boolean parseBoolean(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("expected true or false");
    };
  }

  static int parseInt(String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected an integer");
    }
  }

  static long parseLong(String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected an integer");
    }
  }

  /** A byte size: {@code 1048576}, {@code 64KiB}, {@code 1MiB} (also KB/MB/K/M, all powers of 1024). */
  static int parseSize(String v) {
    String s = v.replace("_", "").strip().toUpperCase(Locale.ROOT);
    long unit = 1;
    for (String[] suffix : new String[][] {{"KIB", "1024"}, {"MIB", "1048576"}, {"KB", "1024"}, {"MB", "1048576"},
        {"K", "1024"}, {"M", "1048576"}, {"B", "1"}}) {
      if (s.endsWith(suffix[0])) {
        unit = Long.parseLong(suffix[1]);
        s = s.substring(0, s.length() - suffix[0].length()).strip();
        break;
      }
    }
    long n;
    try {
      n = Math.multiplyExact(Long.parseLong(s), unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a size such as 1048576, 64KiB or 1MiB");
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("size out of range");
    }
    if (n < 0 || n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("size out of range");
    }
    return (int) n;
  }

  /** A duration: {@code 10s}, {@code 500ms}, {@code 2m}, or ISO-8601 {@code PT10S}. */
  static Duration parseDuration(String v) {
    String s = v.strip().toLowerCase(Locale.ROOT);
    if (s.startsWith("pt") || s.startsWith("p")) {
      return Duration.parse(v.strip());
    }
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).strip()));
      }
      if (s.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1).strip()));
      }
      if (s.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1).strip()));
      }
      return Duration.ofMillis(Long.parseLong(s));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a duration such as 10s, 500ms or PT10S");
    }
  }

  /**
   * Builds {@link GuardSettings}; validates each value as it is set, with a message naming the
   * option. Not thread-safe.
   */
  public static final class Builder {
    private boolean enabled = true;
    private List<PathPattern> etagPaths = List.of(new PathPattern("/*"));
    private List<PathPattern> excludedPaths = List.of();
    private List<PathPattern> guardedPaths = List.of();
    private Set<String> guardedMethods = Set.of("PUT", "PATCH", "DELETE");
    private boolean acceptIfMatchAny = true;
    private int missingPreconditionStatus = 428;
    private int maxBufferSize = 1024 * 1024;
    private Duration permitTimeout = Duration.ofSeconds(10);
    private int maxWaitersPerKey = 256;
    private boolean readPermits;
    private CompressionMode compressionMode = CompressionMode.SUFFIX;
    private long validatorStoreSize = 100_000;
    private Set<String> keyQueryParameters = Set.of();
    private List<PathPattern> authoritativePaths = List.of();
    private List<InvalidationRule> invalidationRules = List.of();
    private List<PathPattern> weakIfMatchPaths = List.of();
    private boolean retryRecognition;
    private List<String> retryClientFields = List.of("Authorization", "Proxy-Authorization", "Cookie",
        "Idempotency-Key");
    private boolean heuristicFreshness;
    private long digestCacheSize = 32L * 1024 * 1024;

    private Builder() {
    }

    /** Turns the guard on or off. Default {@code true}. */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /** Paths (servlet patterns, comma- or space-separated) with generated validators. Default {@code /*}. */
    public Builder etagPaths(String patterns) {
      this.etagPaths = PathPattern.parseList(patterns);
      return this;
    }

    /** Paths the guard never touches. Default none. */
    public Builder excludedPaths(String patterns) {
      this.excludedPaths = PathPattern.parseList(patterns);
      return this;
    }

    /** Paths whose writes must carry a precondition. Default none. */
    public Builder guardedPaths(String patterns) {
      this.guardedPaths = PathPattern.parseList(patterns);
      return this;
    }

    /** The methods {@code guardedPaths} applies to (comma- or space-separated). Default {@code PUT, PATCH, DELETE}. */
    public Builder guardedMethods(String methods) {
      Set<String> set = new LinkedHashSet<>();
      for (String m : methods.split("[,\\s]+")) {
        if (m.isEmpty()) {
          continue;
        }
        if (!m.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
          throw new IllegalArgumentException("guardedMethods: not an upper-case method name: '" + m + "'");
        }
        if (Preconditions.isSafe(m)) {
          throw new IllegalArgumentException("guardedMethods: " + m + " is a safe method and never needs a precondition");
        }
        set.add(m);
      }
      this.guardedMethods = set;
      return this;
    }

    /** Whether {@code If-Match: *} satisfies the 428 policy. Default {@code true}. */
    public Builder acceptIfMatchAny(boolean accept) {
      this.acceptIfMatchAny = accept;
      return this;
    }

    /** 428 (default, RFC 6585) or 403. */
    public Builder missingPreconditionStatus(int status) {
      if (status != 428 && status != 403) {
        throw new IllegalArgumentException("missingPreconditionStatus must be 428 or 403: " + status);
      }
      this.missingPreconditionStatus = status;
      return this;
    }

    /** The largest body held to compute its ETag, in bytes; 0 disables generated ETags. Default 1 MiB. */
    public Builder maxBufferSize(int bytes) {
      if (bytes < 0 || bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("maxBufferSize out of range: " + bytes);
      }
      this.maxBufferSize = bytes;
      return this;
    }

    /** The longest a write waits for its permit. Default 10 s. */
    public Builder permitTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("permitTimeout must be positive: " + timeout);
      }
      this.permitTimeout = timeout;
      return this;
    }

    /** Requests allowed to wait for one resource's permit. Default 256. */
    public Builder maxWaitersPerKey(int waiters) {
      if (waiters < 0) {
        throw new IllegalArgumentException("maxWaitersPerKey must be >= 0: " + waiters);
      }
      this.maxWaitersPerKey = waiters;
      return this;
    }

    /**
     * Whether GET and HEAD take a shared permit of their resource, so a download never observes a
     * write in progress. Default {@code false}. See {@link GuardSettings#readPermits()}.
     */
    public Builder readPermits(boolean readPermits) {
      this.readPermits = readPermits;
      return this;
    }

    /**
     * What a strong tag becomes on an encoded (compressed) response. Default
     * {@link CompressionMode#SUFFIX}.
     */
    public Builder compressionMode(CompressionMode mode) {
      this.compressionMode = java.util.Objects.requireNonNull(mode, "compressionMode");
      return this;
    }

    /** How many resources' validators are remembered. Default 100,000. */
    public Builder validatorStoreSize(long entries) {
      if (entries < 0) {
        throw new IllegalArgumentException("validatorStoreSize must be >= 0: " + entries);
      }
      this.validatorStoreSize = entries;
      return this;
    }

    /** Query parameters (comma- or space-separated names) that are part of a resource key. Default none. */
    public Builder keyQueryParameters(String names) {
      Set<String> set = new LinkedHashSet<>();
      for (String n : names.split("[,\\s]+")) {
        if (!n.isEmpty()) {
          set.add(n);
        }
      }
      this.keyQueryParameters = set;
      return this;
    }

    /**
     * Paths (servlet patterns) whose every write passes through the guard, so conditional reads of
     * known resources are answered from the validator store. Default none. See
     * {@link GuardSettings#authoritativePaths()}.
     */
    public Builder authoritativePaths(String patterns) {
      this.authoritativePaths = PathPattern.parseList(patterns);
      return this;
    }

    /**
     * Rules {@code source -> target[, target...]}, separated by {@code ;} or line breaks, e.g.
     * {@code /articles/{id} -> /articles}. Default none. See {@link InvalidationRule}.
     */
    public Builder invalidationRules(String rules) {
      this.invalidationRules = InvalidationRule.parseList(rules);
      return this;
    }

    /**
     * Paths (servlet patterns, comma- or space-separated) where If-Match uses weak comparison.
     * Default none. See {@link GuardSettings#weakIfMatchPaths()} for what it gives up.
     */
    public Builder weakIfMatchPaths(String patterns) {
      this.weakIfMatchPaths = PathPattern.parseList(patterns);
      return this;
    }

    /**
     * Whether a retry of a conditional write that already succeeded is answered with that success
     * instead of 412. Default {@code false}. See {@link GuardSettings#retryRecognition()}.
     */
    public Builder retryRecognition(boolean retryRecognition) {
      this.retryRecognition = retryRecognition;
      return this;
    }

    /**
     * The request fields (comma- or space-separated names) that tell one client from another for
     * {@code retryRecognition}. Default {@code Authorization, Proxy-Authorization, Cookie,
     * Idempotency-Key}. See {@link GuardSettings#retryClientFields()}.
     */
    public Builder retryClientFields(String names) {
      Set<String> set = new LinkedHashSet<>();
      for (String n : names.split("[,\\s]+")) {
        if (n.isEmpty()) {
          continue;
        }
        if (!n.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
          throw new IllegalArgumentException("retryClientFields: not a field name: '" + n + "'");
        }
        set.add(n);
      }
      this.retryClientFields = List.copyOf(set);
      return this;
    }

    /**
     * Whether a response to which the guard adds Last-Modified, and whose handler stated no
     * freshness, may be reused by caches without revalidation; {@code false} adds
     * {@code Cache-Control: no-cache}. Default {@code false}. See {@link GuardSettings#heuristicFreshness()}.
     */
    public Builder heuristicFreshness(boolean heuristicFreshness) {
      this.heuristicFreshness = heuristicFreshness;
      return this;
    }

    /**
     * The most bytes of bodies kept to skip hashing unchanged ones; {@code 0} keeps none. Default
     * 32 MiB. See {@link GuardSettings#digestCacheSize()}.
     */
    public Builder digestCacheSize(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("digestCacheSize must be >= 0: " + bytes);
      }
      this.digestCacheSize = bytes;
      return this;
    }

    /** The immutable settings. */
    public GuardSettings build() {
      return new GuardSettings(this);
    }
  }
}
