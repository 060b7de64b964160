package dev.etagguard.settings;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.BiConsumer;
import java.util.function.Function;

import dev.etagguard.settings.Option.Kind;
import dev.etagguard.decision.Preconditions;

/**
 * The configuration of ETag Guard: immutable, built once at start, shared by every adapter.
 *
 * <p>The options are one table, {@link #options()}: each with its name, kind of value, default and
 * description, in documentation order. Every option has one name, the same as a web.xml
 * {@code <init-param>}, a Tomcat Valve attribute, a jetty-home property {@code jetty.etagGuard.NAME}
 * and a builder method; Spring Boot uses its kebab-case form under {@code etag-guard.}.
 * {@link #fromOptions(Map)} reads string options and rejects unknown names and malformed values
 * with a message naming the option. Each option's builder method and accessor say what it does;
 * the README's "Options" lists them all.
 *
 * <p>Thread-safe (immutable).
 *
 * @since 0.1
 */
public final class GuardSettings {

  /** The table of options, in documentation order; builders start from its defaults. */
  private static final List<Option<Builder>> OPTIONS = List.of(
      option("enabled", Kind.BOOLEAN, "true",
          "Whether the guard is on; false passes every request through untouched.",
          Builder::enabled, b -> b.enabled),
      option("etagPaths", Kind.LIST, "/*",
          "Paths (servlet patterns: /exact, /prefix/*, *.ext, /*) whose GET and HEAD responses get generated "
              + "validators and conditional answers.",
          (b, v) -> b.etagPaths = PathPattern.all(v), b -> b.etagPaths),
      option("excludedPaths", Kind.LIST, "",
          "Paths the guard never touches.",
          (b, v) -> b.excludedPaths = PathPattern.all(v), b -> b.excludedPaths),
      option("guardedPaths", Kind.LIST, "",
          "Paths whose guarded methods must carry a precondition (If-Match, If-Unmodified-Since or If-None-Match), "
              + "else 428 Precondition Required.",
          (b, v) -> b.guardedPaths = PathPattern.all(v), b -> b.guardedPaths),
      option("guardedMethods", Kind.LIST, "PUT, PATCH, DELETE",
          "The write methods that must carry a precondition on the guarded paths; add POST if your POSTs update "
              + "a resource.",
          (b, v) -> b.guardedMethods = methods(v), b -> b.guardedMethods),
      option("acceptIfMatchAny", Kind.BOOLEAN, "true",
          "Whether If-Match: * satisfies the 428 policy (it proves that the resource exists, not which version "
              + "the client edits).",
          Builder::acceptIfMatchAny, b -> b.acceptIfMatchAny),
      option("missingPreconditionStatus", Kind.INTEGER, "428",
          "The status of a guarded write without a precondition: 428 (RFC 6585) or 403 for clients written to "
              + "older conventions.",
          Builder::missingPreconditionStatus, b -> b.missingPreconditionStatus),
      option("maxBufferSize", Kind.SIZE, "1MiB",
          "The largest response body held back to compute its ETag; larger bodies stream through without a "
              + "generated ETag, and 0 turns generated ETags off.",
          (b, v) -> b.maxBufferSize(v.intValue()), b -> b.maxBufferSize),
      option("permitTimeout", Kind.DURATION, "10s",
          "The longest a write waits for its resource's permit before 503 Service Unavailable with Retry-After.",
          Builder::permitTimeout, b -> b.permitTimeout),
      option("maxWaitersPerKey", Kind.INTEGER, "256",
          "How many requests may wait for one resource's permit; more get 503 at once.",
          Builder::maxWaitersPerKey, b -> b.maxWaitersPerKey),
      option("minContentRate", Kind.SIZE, "1KiB",
          "The slowest a write's content may arrive, in bytes per second, once the write holds its permit "
              + "(after a 1 s allowance); a client sending slower gets 408 and the permit goes to the next "
              + "writer. 0 turns the check off.",
          Builder::minContentRate, b -> b.minContentRate),
      option("readPermits", Kind.BOOLEAN, "false",
          "Whether GET and HEAD take a shared permit of their resource, so a download never observes a write in "
              + "progress.",
          Builder::readPermits, b -> b.readPermits),
      option("compressionMode", Kind.choice(CompressionMode.class), "suffix",
          "What a strong ETag becomes on a compressed response: suffix (\"T--gzip\"), weaken (W/\"T\") or identity "
              + "(Accept-Encoding hidden from the handler for the reads the guard tags).",
          Builder::compressionMode, b -> b.compressionMode.optionValue()),
      option("validatorStoreSize", Kind.LONG, "100000",
          "How many resources' validators the built-in store remembers.",
          Builder::validatorStoreSize, b -> b.validatorStoreSize),
      option("keyQueryParameters", Kind.LIST, "",
          "Query parameters that are part of a resource's identity (e.g. uploadId, partNumber); other query "
              + "parameters address the same resource.",
          (b, v) -> b.keyQueryParameters = names(v), b -> b.keyQueryParameters),
      option("authoritativePaths", Kind.LIST, "",
          "Paths whose every write passes through the guard: a conditional GET or HEAD of a resource whose "
              + "validators are stored is answered 304 or 412 from the store without running the handler.",
          (b, v) -> b.authoritativePaths = PathPattern.all(v), b -> b.authoritativePaths),
      option("invalidationRules", Kind.TEXT, "",
          "Writes that change other resources too: rules 'source -> target[, target]' separated by ';' or line "
              + "breaks, e.g. '/articles/{id} -> /articles'; after such a write the targets' validators are dropped.",
          Builder::invalidationRules, b -> b.invalidationRules),
      option("weakIfMatchPaths", Kind.LIST, "",
          "Paths where If-Match uses weak comparison, for clients that only have weak tags; a weak tag does not "
              + "prove byte identity (Range and If-Range stay strong). Logs a warning at start.",
          (b, v) -> b.weakIfMatchPaths = PathPattern.all(v), b -> b.weakIfMatchPaths),
      option("retryRecognition", Kind.BOOLEAN, "false",
          "Whether a retry of a conditional write that already succeeded (its answer lost) is answered with that "
              + "success instead of 412, without running the handler again.",
          Builder::retryRecognition, b -> b.retryRecognition),
      option("retryClientFields", Kind.LIST, "Authorization, Proxy-Authorization, Cookie, Idempotency-Key",
          "The request fields that tell one client from another for retry recognition; a retry must repeat them.",
          (b, v) -> b.retryClientFields = fieldNames(v), b -> b.retryClientFields),
      option("heuristicFreshness", Kind.BOOLEAN, "false",
          "Whether a response to which the guard adds Last-Modified, and whose handler stated no freshness, may "
              + "be reused by caches without revalidation; false adds Cache-Control: no-cache to it.",
          Builder::heuristicFreshness, b -> b.heuristicFreshness),
      option("digestCacheSize", Kind.SIZE, "32MiB",
          "Bytes of recent bodies kept, the last per resource, so an unchanged body's ETag is found by comparing "
              + "bytes instead of hashing them; 0 keeps none.",
          Builder::digestCacheSize, b -> b.digestCacheSize),
      // Several instances: the store they share, and its settings. The store-specific options are
      // read (and checked beyond their kind) only by the store that sharedStore names.
      option("sharedStore", Kind.TEXT, "none",
          "Where several instances share validators and write permits: none (each instance alone), redis "
              + "(module etag-guard-cluster-redis) or postgres (module etag-guard-cluster-postgres).",
          Builder::sharedStore, b -> b.sharedStore),
      option("leaseTime", Kind.DURATION, "30s",
          "Shared store: how long a write permit outlives a silent holder (an instance that paused or died).",
          Builder::leaseTime, b -> b.leaseTime),
      option("renewLease", Kind.BOOLEAN, "true",
          "Shared store: whether a held write permit renews its lease every third of leaseTime; false makes "
              + "leaseTime the longest a write may take.",
          Builder::renewLease, b -> b.renewLease),
      option("redisAddress", Kind.TEXT, "redis://127.0.0.1:6379",
          "Redis: the server, redis://host:port or rediss://host:port for TLS.",
          Builder::redisAddress, b -> b.redisAddress),
      option("redisUsername", Kind.TEXT, "",
          "Redis: the user name (ACL), if the server asks for one.",
          Builder::redisUsername, b -> b.redisUsername),
      option("redisPassword", Kind.TEXT, "",
          "Redis: the password, if the server asks for one.",
          Builder::redisPassword, b -> b.redisPassword.isEmpty() ? "" : "(set)"),
      option("redisTimeout", Kind.DURATION, "1s",
          "Redis: the command timeout; short, so that writes are answered 503 quickly while Redis is away.",
          Builder::redisTimeout, b -> b.redisTimeout),
      option("redisKeyPrefix", Kind.TEXT, "etag-guard:",
          "Redis: the prefix of every key; applications sharing a Redis need different ones.",
          Builder::redisKeyPrefix, b -> b.redisKeyPrefix),
      option("redisEntryTtl", Kind.DURATION, "1d",
          "Redis: how long a resource's validators live after their last change (0: for ever); an expired "
              + "entry is only learned again.",
          Builder::redisEntryTtl, b -> b.redisEntryTtl),
      option("postgresDataSource", Kind.TEXT, "",
          "PostgreSQL: the JNDI name of the DataSource, as the server defines it (e.g. "
              + "java:comp/env/jdbc/etagguard).",
          Builder::postgresDataSource, b -> b.postgresDataSource),
      option("postgresTable", Kind.TEXT, "etag_guard_validators",
          "PostgreSQL: the validators table (schema-qualified if you like); permits live in <table>_permits.",
          Builder::postgresTable, b -> b.postgresTable),
      option("postgresTokenSequence", Kind.TEXT, "etag_guard_fencing_token",
          "PostgreSQL: the sequence fencing tokens are drawn from.",
          Builder::postgresTokenSequence, b -> b.postgresTokenSequence),
      option("postgresCreateSchema", Kind.BOOLEAN, "true",
          "PostgreSQL: whether the tables and the sequence are created when missing; false where your "
              + "migrations create them.",
          Builder::postgresCreateSchema, b -> b.postgresCreateSchema));

  /** The value of {@code sharedStore} that means "each instance alone". */
  public static final String NO_SHARED_STORE = "none";

  private static final Map<String, Option<Builder>> BY_NAME = byName();

  private static final java.util.regex.Pattern STORE_NAME = java.util.regex.Pattern.compile("[a-z][a-z0-9-]*");

  /** The settings with every option at its default. */
  public static final GuardSettings DEFAULTS = builder().build();

  /** The values: a copy of the builder that nothing changes. */
  private final Builder values;

  private GuardSettings(Builder b) {
    this.values = b.copy();
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
      Option<Builder> option = BY_NAME.get(e.getKey());
      if (option == null) {
        throw new IllegalArgumentException("Unknown ETag Guard option '" + e.getKey() + "'; known options: "
            + String.join(", ", BY_NAME.keySet()));
      }
      option.set(builder, e.getValue());
    }
    return builder.build();
  }

  /**
   * The options, in documentation order: the one table every adapter is configured from (web.xml,
   * Valve attributes, the jetty-home module, Spring Boot's properties and their metadata).
   */
  public static List<Option<Builder>> options() {
    return OPTIONS;
  }

  /**
   * The option of that name.
   *
   * @throws IllegalArgumentException for a name that is no option
   */
  public static Option<Builder> option(String name) {
    Option<Builder> option = BY_NAME.get(name);
    if (option == null) {
      throw new IllegalArgumentException("Unknown ETag Guard option '" + name + "'");
    }
    return option;
  }

  /** The names of all options, in documentation order. */
  public static Set<String> optionNames() {
    return BY_NAME.keySet();
  }

  private static <T> Option<Builder> option(String name, Kind<T> kind, String defaultValue, String description,
      BiConsumer<Builder, ? super T> setter, Function<Builder, ?> reader) {
    return Option.of(name, kind, defaultValue, description, setter, reader);
  }

  private static Map<String, Option<Builder>> byName() {
    Map<String, Option<Builder>> m = new LinkedHashMap<>();
    for (Option<Builder> option : OPTIONS) {
      m.put(option.name(), option);
    }
    return Collections.unmodifiableMap(m);
  }

  /** Whether the guard is on. Default {@code true}. */
  public boolean enabled() {
    return values.enabled;
  }

  /** Paths whose GET and HEAD responses get generated validators and conditional handling. */
  public List<PathPattern> etagPaths() {
    return values.etagPaths;
  }

  /** Paths the guard never touches. */
  public List<PathPattern> excludedPaths() {
    return values.excludedPaths;
  }

  /** Paths whose {@link #guardedMethods()} must carry a precondition. */
  public List<PathPattern> guardedPaths() {
    return values.guardedPaths;
  }

  /** The methods that must carry a precondition on {@link #guardedPaths()}. */
  public Set<String> guardedMethods() {
    return values.guardedMethods;
  }

  /** Whether {@code If-Match: *} satisfies the write-precondition policy. */
  public boolean acceptIfMatchAny() {
    return values.acceptIfMatchAny;
  }

  /** The status for a guarded write without precondition: 428 or 403. */
  public int missingPreconditionStatus() {
    return values.missingPreconditionStatus;
  }

  /** The largest response body, in bytes, held back to compute its ETag. */
  public int maxBufferSize() {
    return values.maxBufferSize;
  }

  /** The longest a write waits for its resource's permit. */
  public Duration permitTimeout() {
    return values.permitTimeout;
  }

  /** How many requests may wait for one resource's permit. */
  public int maxWaitersPerKey() {
    return values.maxWaitersPerKey;
  }

  /**
   * The slowest, in bytes per second, that a write's content may arrive while the write holds its
   * permit; {@code 0} for no minimum. Default 1 KiB/s.
   *
   * <p>A write's content is received before its permit is asked for, except what the client sends
   * only once the guard has decided ({@code Expect: 100-continue}) and what lies beyond the part
   * received first (8 MiB): that part is read under the permit, and a client that sent it slowly
   * would keep every other writer of the resource waiting. So, under the permit, the bytes the
   * client has sent must keep up with this rate over the time the handler waited for them, after
   * a one-second allowance for the first bytes (the 100 Continue round trip); the time the handler
   * spends on its own between reads does not count. A client that falls behind is treated as one
   * that left: the handler's read fails, the write ends and its permit is released, and the client
   * gets 408 Request Timeout if the response has not been sent yet. A read that waits for bytes
   * that never come is ended by the server's idle timeout. Implements the mechanism of Jetty's
   * {@code minRequestDataRate}, for the content read under a permit only.
   */
  public long minContentRate() {
    return values.minContentRate;
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
    return values.readPermits;
  }

  /**
   * What a strong tag becomes on an encoded (compressed) response. Default
   * {@link CompressionMode#SUFFIX}.
   */
  public CompressionMode compressionMode() {
    return values.compressionMode;
  }

  /** How many resources' validators the built-in store remembers. */
  public long validatorStoreSize() {
    return values.validatorStoreSize;
  }

  /** The query parameters that are part of a resource key. */
  public Set<String> keyQueryParameters() {
    return values.keyQueryParameters;
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
    return values.authoritativePaths;
  }

  /**
   * Which writes change other resources too: after a write whose handler ran (whatever its
   * outcome), the validators of the related paths are dropped from the store, so a listing is not
   * answered 304 from the store after an item changed. Default none. See {@link InvalidationRule}
   * for the syntax.
   */
  public List<InvalidationRule> invalidationRules() {
    return values.invalidationRules;
  }

  /** Whether conditional reads of this path may be answered from the validator store. */
  public boolean authoritative(String path) {
    return !values.authoritativePaths.isEmpty() && PathPattern.any(values.authoritativePaths, path);
  }

  /** The paths a write to {@code path} changes besides itself, by {@link #invalidationRules()}. */
  public List<String> relatedPaths(String path) {
    if (values.invalidationRules.isEmpty()) {
      return List.of();
    }
    List<String> related = new java.util.ArrayList<>(2);
    for (InvalidationRule rule : values.invalidationRules) {
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
    return values.weakIfMatchPaths;
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
    return values.retryRecognition;
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
    return values.retryClientFields;
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
    return values.heuristicFreshness;
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
    return values.digestCacheSize;
  }

  /**
   * Where several instances share validators and write permits: {@value #NO_SHARED_STORE} (the
   * default: each instance keeps its own, in process), {@code redis} or {@code postgres}, or the
   * name of another {@link dev.etagguard.spi.SharedStore} on the class path. An engine built from
   * these settings without a store or sequencer of its own opens the named store
   * ({@code GuardEngine.builder(settings).build()}), and fails when it is not there. The options
   * {@code redis*} and {@code postgres*} are read only by their store.
   */
  public String sharedStore() {
    return values.sharedStore;
  }

  /** Whether {@link #sharedStore()} names a store: several instances share their state. */
  public boolean shared() {
    return !NO_SHARED_STORE.equals(values.sharedStore);
  }

  /** Shared store: how long a write permit outlives a silent holder. Default 30 s. */
  public Duration leaseTime() {
    return values.leaseTime;
  }

  /** Shared store: whether a held write permit renews its lease every third of {@link #leaseTime()}. Default {@code true}. */
  public boolean renewLease() {
    return values.renewLease;
  }

  /** Redis: the server's address. Default {@code redis://127.0.0.1:6379}. */
  public String redisAddress() {
    return values.redisAddress;
  }

  /** Redis: the user name; {@code ""} for none (the default). */
  public String redisUsername() {
    return values.redisUsername;
  }

  /** Redis: the password; {@code ""} for none (the default). Never shown by {@link #toString()}. */
  public String redisPassword() {
    return values.redisPassword;
  }

  /** Redis: the command timeout. Default 1 s. */
  public Duration redisTimeout() {
    return values.redisTimeout;
  }

  /** Redis: the prefix of every key. Default {@code etag-guard:}. */
  public String redisKeyPrefix() {
    return values.redisKeyPrefix;
  }

  /** Redis: how long a resource's validators live after their last change; zero for ever. Default 1 day. */
  public Duration redisEntryTtl() {
    return values.redisEntryTtl;
  }

  /** PostgreSQL: the JNDI name of the DataSource; {@code ""} for none (the default). */
  public String postgresDataSource() {
    return values.postgresDataSource;
  }

  /** PostgreSQL: the validators table. Default {@code etag_guard_validators}. */
  public String postgresTable() {
    return values.postgresTable;
  }

  /** PostgreSQL: the sequence of fencing tokens. Default {@code etag_guard_fencing_token}. */
  public String postgresTokenSequence() {
    return values.postgresTokenSequence;
  }

  /** PostgreSQL: whether the tables and the sequence are created when missing. Default {@code true}. */
  public boolean postgresCreateSchema() {
    return values.postgresCreateSchema;
  }

  /** Whether If-Match on this path uses weak comparison ({@link #weakIfMatchPaths()}). */
  public boolean weakIfMatch(String path) {
    return PathPattern.any(values.weakIfMatchPaths, path);
  }

  /** Whether the path is in scope at all: not excluded. */
  public boolean excluded(String path) {
    return PathPattern.any(values.excludedPaths, path);
  }

  /** Whether responses of this path get generated validators. */
  public boolean tagged(String path) {
    return PathPattern.any(values.etagPaths, path);
  }

  /** Whether a request with this method and path must carry a precondition. */
  public boolean guarded(String method, String path) {
    return values.guardedMethods.contains(method) && PathPattern.any(values.guardedPaths, path);
  }

  /** Every option with its value, in documentation order. */
  @Override
  public String toString() {
    StringJoiner joiner = new StringJoiner(", ", "GuardSettings{", "}");
    for (Option<Builder> option : OPTIONS) {
      joiner.add(option.name() + "=" + option.valueIn(values));
    }
    return joiner.toString();
  }

  private static Set<String> methods(List<String> items) {
    Set<String> set = new LinkedHashSet<>();
    for (String m : items) {
      if (!m.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
        throw new IllegalArgumentException("guardedMethods: not an upper-case method name: '" + m + "'");
      }
      if (Preconditions.isSafe(m)) {
        throw new IllegalArgumentException("guardedMethods: " + m + " is a safe method and never needs a precondition");
      }
      set.add(m);
    }
    return Collections.unmodifiableSet(set);
  }

  private static Set<String> names(List<String> items) {
    return Collections.unmodifiableSet(new LinkedHashSet<>(items));
  }

  private static List<String> fieldNames(List<String> items) {
    Set<String> set = new LinkedHashSet<>();
    for (String n : items) {
      if (!n.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
        throw new IllegalArgumentException("retryClientFields: not a field name: '" + n + "'");
      }
      set.add(n);
    }
    return List.copyOf(set);
  }

  /**
   * Builds {@link GuardSettings}; starts from the defaults of {@link GuardSettings#options()} and
   * validates each value as it is set, with a message naming the option. Not thread-safe.
   */
  public static final class Builder implements Cloneable {
    private boolean enabled;
    private List<PathPattern> etagPaths = List.of();
    private List<PathPattern> excludedPaths = List.of();
    private List<PathPattern> guardedPaths = List.of();
    private Set<String> guardedMethods = Set.of();
    private boolean acceptIfMatchAny;
    private int missingPreconditionStatus;
    private int maxBufferSize;
    private Duration permitTimeout = Duration.ZERO;
    private int maxWaitersPerKey;
    private long minContentRate;
    private boolean readPermits;
    private CompressionMode compressionMode = CompressionMode.SUFFIX;
    private long validatorStoreSize;
    private Set<String> keyQueryParameters = Set.of();
    private List<PathPattern> authoritativePaths = List.of();
    private List<InvalidationRule> invalidationRules = List.of();
    private List<PathPattern> weakIfMatchPaths = List.of();
    private boolean retryRecognition;
    private List<String> retryClientFields = List.of();
    private boolean heuristicFreshness;
    private long digestCacheSize;
    private String sharedStore = NO_SHARED_STORE;
    private Duration leaseTime = Duration.ZERO;
    private boolean renewLease;
    private String redisAddress = "";
    private String redisUsername = "";
    private String redisPassword = "";
    private Duration redisTimeout = Duration.ZERO;
    private String redisKeyPrefix = "";
    private Duration redisEntryTtl = Duration.ZERO;
    private String postgresDataSource = "";
    private String postgresTable = "";
    private String postgresTokenSequence = "";
    private boolean postgresCreateSchema;

    private Builder() {
      for (Option<Builder> option : OPTIONS) {
        option.set(this, option.defaultValue());
      }
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
      this.guardedMethods = methods(Option.items(methods));
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
     * The slowest a write's content may arrive under its permit, in bytes per second; {@code 0}
     * for no minimum. Default 1 KiB/s. See {@link GuardSettings#minContentRate()}.
     */
    public Builder minContentRate(long bytesPerSecond) {
      if (bytesPerSecond < 0) {
        throw new IllegalArgumentException("minContentRate must be >= 0: " + bytesPerSecond);
      }
      this.minContentRate = bytesPerSecond;
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
      this.keyQueryParameters = names(Option.items(names));
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
      this.retryClientFields = fieldNames(Option.items(names));
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

    /**
     * Where several instances share their state: {@value GuardSettings#NO_SHARED_STORE}, {@code redis},
     * {@code postgres} or the name of another shared store. Default {@value GuardSettings#NO_SHARED_STORE}.
     * See {@link GuardSettings#sharedStore()}.
     */
    public Builder sharedStore(String name) {
      if (!STORE_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("expected none, redis, postgres or the name of another shared store "
            + "(lower case letters, digits and '-')");
      }
      this.sharedStore = name;
      return this;
    }

    /** Shared store: how long a write permit outlives a silent holder. Default 30 s. */
    public Builder leaseTime(Duration leaseTime) {
      this.leaseTime = java.util.Objects.requireNonNull(leaseTime, "leaseTime");
      return this;
    }

    /** Shared store: whether a held permit renews its lease. Default {@code true}. */
    public Builder renewLease(boolean renewLease) {
      this.renewLease = renewLease;
      return this;
    }

    /** Redis: the server's address. Default {@code redis://127.0.0.1:6379}. */
    public Builder redisAddress(String address) {
      this.redisAddress = java.util.Objects.requireNonNull(address, "redisAddress");
      return this;
    }

    /** Redis: the user name; {@code ""} for none. */
    public Builder redisUsername(String username) {
      this.redisUsername = java.util.Objects.requireNonNull(username, "redisUsername");
      return this;
    }

    /** Redis: the password; {@code ""} for none. */
    public Builder redisPassword(String password) {
      this.redisPassword = java.util.Objects.requireNonNull(password, "redisPassword");
      return this;
    }

    /** Redis: the command timeout. Default 1 s. */
    public Builder redisTimeout(Duration timeout) {
      this.redisTimeout = java.util.Objects.requireNonNull(timeout, "redisTimeout");
      return this;
    }

    /** Redis: the prefix of every key. Default {@code etag-guard:}. */
    public Builder redisKeyPrefix(String prefix) {
      this.redisKeyPrefix = java.util.Objects.requireNonNull(prefix, "redisKeyPrefix");
      return this;
    }

    /** Redis: how long a resource's validators live after their last change; zero for ever. Default 1 day. */
    public Builder redisEntryTtl(Duration ttl) {
      this.redisEntryTtl = java.util.Objects.requireNonNull(ttl, "redisEntryTtl");
      return this;
    }

    /** PostgreSQL: the JNDI name of the DataSource. Default none. */
    public Builder postgresDataSource(String jndiName) {
      this.postgresDataSource = java.util.Objects.requireNonNull(jndiName, "postgresDataSource");
      return this;
    }

    /** PostgreSQL: the validators table. Default {@code etag_guard_validators}. */
    public Builder postgresTable(String table) {
      this.postgresTable = java.util.Objects.requireNonNull(table, "postgresTable");
      return this;
    }

    /** PostgreSQL: the sequence of fencing tokens. Default {@code etag_guard_fencing_token}. */
    public Builder postgresTokenSequence(String sequence) {
      this.postgresTokenSequence = java.util.Objects.requireNonNull(sequence, "postgresTokenSequence");
      return this;
    }

    /** PostgreSQL: whether the tables and the sequence are created when missing. Default {@code true}. */
    public Builder postgresCreateSchema(boolean createSchema) {
      this.postgresCreateSchema = createSchema;
      return this;
    }

    /** The immutable settings. */
    public GuardSettings build() {
      return new GuardSettings(this);
    }

    /** A copy: every value is immutable, so a shallow one. */
    private Builder copy() {
      try {
        return (Builder) clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
