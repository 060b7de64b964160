package dev.etagguard;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.CompressionMode;

import dev.etagguard.problem.Problem;

import dev.etagguard.decision.Preconditions;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.HttpDates;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ResourceKeyResolver;
import dev.etagguard.spi.SharedStore;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.support.Builtins;

import org.jspecify.annotations.Nullable;

/**
 * The server-neutral engine: classifies each request, applies the write-precondition policy,
 * orders writes per resource and decides every conditional request, each through the one flow
 * ({@link Exchange#admit(GuardEngine, RequestView)}). Adapters (Servlet filter, Jetty handler,
 * Tomcat valve) only host that flow, translating their server's types.
 *
 * <p>One engine serves all requests of an application. Thread-safe.
 *
 * @since 0.1
 */
public final class GuardEngine implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(GuardEngine.class.getName());

  final GuardSettings settings;
  final ResourceKeyResolver resolver;
  final ValidatorStore store;
  final WriteSequencer sequencer;
  final EntityTagGenerator generator;
  final GuardListener listener;
  final Clock clock;
  final StripedVersions versions = new StripedVersions();
  final RecentChanges recentChanges;
  final RecentWrites recentWrites;
  final DigestCache digestCache;
  /** Whether the engine made its sequencer (the built-in one), so it closes it. */
  private final boolean ownsSequencer;
  final EncodedVariants.Issued encodedVariants;
  final NegotiatedVariants negotiated;

  /** The shared store the engine opened ({@code sharedStore}), closed with it; else {@code null}. */
  private final SharedStore.@Nullable Opened shared;

  private GuardEngine(Builder b, SharedStore.@Nullable Opened shared) {
    this.settings = b.settings;
    this.shared = shared;
    this.resolver = b.resolver != null ? b.resolver : Builtins.pathResolver(settings.keyQueryParameters());
    if (shared != null) {
      this.store = shared.store();
      this.sequencer = shared.sequencer();
    } else {
      this.store = b.store != null ? b.store : Builtins.caffeineStore(settings.validatorStoreSize());
      this.sequencer = b.sequencer != null ? b.sequencer : Builtins.localSequencer(settings.maxWaitersPerKey());
    }
    this.ownsSequencer = shared == null && b.sequencer == null;
    this.generator = b.generator != null ? b.generator : Builtins.sha256Generator();
    this.listener = b.listener != null ? b.listener : GuardListener.none();
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    this.recentChanges = new RecentChanges(settings.validatorStoreSize());
    this.recentWrites = new RecentWrites(settings.retryRecognition() ? settings.validatorStoreSize() : 1);
    this.digestCache = new DigestCache(settings.digestCacheSize());
    this.encodedVariants = new EncodedVariants.Issued(
        settings.compressionMode() == CompressionMode.SUFFIX ? settings.validatorStoreSize() : 1);
    this.negotiated = new NegotiatedVariants(settings.validatorStoreSize());
    warnAboutSettings();
  }

  /** An engine with the built-in store, sequencer, resolver and generator. */
  public static GuardEngine create(GuardSettings settings) {
    return builder(settings).build();
  }

  /** A builder to replace built-in SPIs. */
  public static Builder builder(GuardSettings settings) {
    return new Builder(settings);
  }

  private void warnAboutSettings() {
    if (!settings.enabled()) {
      LOG.log(Level.WARNING, "ETag Guard is disabled (enabled=false): requests pass through unguarded");
    } else if (settings.guardedPaths().isEmpty()) {
      LOG.log(Level.INFO, "ETag Guard: no guardedPaths, so unconditional writes are allowed everywhere");
    }
    if (settings.missingPreconditionStatus() == 403) {
      LOG.log(Level.WARNING, "ETag Guard answers 403 instead of 428 for writes without a precondition "
          + "(missingPreconditionStatus=403): clients cannot tell it from an authorization failure");
    }
    if (!settings.weakIfMatchPaths().isEmpty()) {
      LOG.log(Level.WARNING, "ETag Guard: If-Match uses weak comparison on " + settings.weakIfMatchPaths()
          + " (weakIfMatchPaths). A weak tag does not prove byte identity, so there a write can pass against a "
          + "semantically equivalent but different representation than the client read; Range and If-Range stay "
          + "strong. Use it only for clients that have nothing but weak tags");
    }
    if (settings.maxBufferSize() == 0) {
      LOG.log(Level.WARNING, "ETag Guard: maxBufferSize=0 disables generated ETags; only handlers' own ETags are used");
    }
  }

  /**
   * Stops what the engine started: the built-in sequencer's timer thread; requests waiting for a
   * permit get 503. A sequencer given to the {@link Builder} is its giver's to close. The filter,
   * the valve and the Jetty handler close the engines they made when they stop; close one you
   * made yourself when its server stops. Idempotent.
   *
   * @since 0.1
   */
  @Override
  public void close() {
    if (ownsSequencer) {
      sequencer.close();
    }
    if (shared != null) {
      shared.close();
    }
  }

  /** The settings. */
  public GuardSettings settings() {
    return settings;
  }

  /** The validator store. */
  public ValidatorStore store() {
    return store;
  }

  /** The write sequencer. */
  public WriteSequencer sequencer() {
    return sequencer;
  }

  /**
   * The bytes the digest cache holds now (option {@code digestCacheSize}: bodies and a small
   * per-entry overhead), for monitoring; at most about that option once eviction has run.
   */
  public long digestCacheBytes() {
    return digestCache.weightedBytes();
  }

  /** The ETag generator. */
  public EntityTagGenerator generator() {
    return generator;
  }

  /**
   * Classifies a request and applies the checks that need no resource state: scope, the 428
   * policy and malformed preconditions. Never blocks.
   */
  Admission admit(RequestView request) {
    if (!settings.enabled()) {
      listener.onDecision(new ResourceKey(request.path()), request.method(), GuardListener.Decision.PASSED_THROUGH);
      return Admission.pass(this);
    }
    String path = Builtins.normalizePath(request.path());
    String method = request.method();
    boolean read = Preconditions.isGetOrHead(method);
    if (settings.excluded(path) || (Preconditions.isSafe(method) && !read) || (read && !settings.tagged(path))) {
      listener.onDecision(new ResourceKey(path), method, GuardListener.Decision.PASSED_THROUGH);
      return Admission.pass(this);
    }
    ResourceKey builtin = Builtins.resolveNormalized(resolver, path, request);
    ResourceKey key = builtin != null ? builtin : resolver.resolve(request);
    RequestConditions conditions = RequestConditions.from(request::headers);
    boolean weakIfMatch = conditions.ifMatch() != null && settings.weakIfMatch(path);
    if (read) {
      Admission admission = new Admission(this, Admission.Kind.READ, key, method, conditions, versions.stamp(key), null,
          weakIfMatch).reading(request);
      // Option authoritativePaths: only a request with a precondition can be answered from the store.
      return conditions.hasReadPrecondition() && settings.authoritative(path) ? admission.answerableFromStore() : admission;
    }
    Answer rejection = switch (Preconditions.require(method, conditions, settings.guarded(method, path),
        settings.acceptIfMatchAny())) {
      case SATISFIED -> null;
      case MISSING -> preconditionRequired(key, method);
      case MALFORMED -> malformed(key, conditions);
    };
    Admission admission = new Admission(this, Admission.Kind.WRITE, key, method, conditions, 0, rejection, weakIfMatch);
    if (rejection == null && settings.retryRecognition() && conditions.hasWritePrecondition()) {
      admission.recognizable(RecentWrites.fingerprint(request, conditions, settings.retryClientFields(), generator),
          declaredLength(request));
    }
    return rejection != null || settings.invalidationRules().isEmpty() ? admission : admission.invalidating(relatedKeys(path));
  }

  /**
   * The length of the request's content as the request declares it: its Content-Length; {@code 0}
   * for an HTTP/1.x request with neither Content-Length nor Transfer-Encoding (RFC 9112 6.3);
   * else {@code -1}, unknown (chunked, HTTP/2 or HTTP/3 without Content-Length, a malformed or
   * repeated Content-Length).
   */
  static long declaredLength(RequestView request) {
    List<String> values = request.headers("Content-Length");
    if (values.isEmpty()) {
      String protocol = request.protocol();
      return request.headers("Transfer-Encoding").isEmpty() && protocol != null && protocol.startsWith("HTTP/1.")
          ? 0 : -1;
    }
    if (values.size() != 1) {
      return -1;
    }
    try {
      return Long.parseLong(values.get(0).strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The keys of the paths that a write to {@code path} changes too (option invalidationRules). */
  private java.util.List<ResourceKey> relatedKeys(String path) {
    java.util.List<String> paths = settings.relatedPaths(path);
    if (paths.isEmpty()) {
      return java.util.List.of();
    }
    java.util.List<ResourceKey> keys = new java.util.ArrayList<>(paths.size());
    for (String p : paths) {
      keys.add(resolver.resolve(new PathOnly(p)));  // once per write, and only with rules
    }
    return keys;
  }

  /** A GET of a bare path, to resolve a related path's key the way requests' keys are resolved. */
  private record PathOnly(String path) implements RequestView {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public @Nullable String query() {
      return null;
    }

    @Override
    public java.util.List<String> headers(String name) {
      return java.util.List.of();
    }
  }

  /**
   * Forgets the variants known of a resource that is being written, and moves its version, so a
   * read that began before cannot record a variant of the state before the write.
   */
  void forgetVariants(ResourceKey key) {
    versions.write(key, () -> forgetVariantsNow(key));
  }

  private void forgetVariantsNow(ResourceKey key) {
    encodedVariants.forget(key);
    negotiated.forget(key);
  }

  /** Drops the validators of keys a write changed besides its own (option invalidationRules). */
  void invalidateRelated(java.util.List<ResourceKey> keys) {
    for (ResourceKey k : keys) {
      invalidate(k);
    }
  }

  /** Drops a resource's validators and the variants known of it, moving its version. */
  void invalidate(ResourceKey key) {
    versions.write(key, () -> {
      store.invalidate(key);
      forgetVariantsNow(key);
    });
  }

  private Answer preconditionRequired(ResourceKey key, String method) {
    listener.onDecision(key, method, GuardListener.Decision.PRECONDITION_REQUIRED);
    int status = settings.missingPreconditionStatus();
    return new Answer(status, Map.of(), Problem.of("precondition-required",
        status == 428 ? "Precondition Required" : "Forbidden", status,
        method + " on this resource must be conditional: send If-Match with the ETag from a GET, "
            + "or If-None-Match: * to create it only if it does not exist (RFC 6585 section 3).",
        key.value()));
  }

  private Answer malformed(ResourceKey key, RequestConditions conditions) {
    listener.onDecision(key, "", GuardListener.Decision.BAD_REQUEST);
    String header = conditions.ifMatch() instanceof dev.etagguard.http.EntityTagCondition.Malformed m
        ? "If-Match: " + m.reason()
        : "If-None-Match: " + ((dev.etagguard.http.EntityTagCondition.Malformed) Objects.requireNonNull(
            conditions.ifNoneMatch())).reason();
    return new Answer(400, Map.of(), Problem.of("malformed-precondition", "Bad Request", 400,
        "The precondition could not be parsed (" + header + "); it can never authorize a write. "
            + "Send \"*\" or a comma-separated list of quoted entity tags (RFC 9110 13.1.1).", key.value()));
  }

  /** The 412 answer, with the current ETag when there is one. */
  Answer preconditionFailed(ResourceKey key, String method, Validators current, String detail) {
    listener.onDecision(key, method, GuardListener.Decision.PRECONDITION_FAILED);
    Map<String, String> headers = new LinkedHashMap<>();
    addValidators(headers, current);
    return new Answer(412, headers, Problem.of("precondition-failed", "Precondition Failed", 412, detail, key.value()));
  }

  static void addValidators(Map<String, String> headers, Validators v) {
    if (v.etag() != null) {
      headers.put("ETag", v.etag().toString());
    }
    if (v.lastModified() != null) {
      headers.put("Last-Modified", HttpDates.format(v.lastModified()));
    }
  }

  /**
   * The validators of a 2xx response the handler produced for a GET: its own ETag and
   * Last-Modified, or the generated tag and the time this tag was first seen.
   *
   * <p>A new version whose Last-Modified second another version of the resource may share (the
   * previous version's date is not earlier, or two writes finished in that second) gets a
   * {@linkplain Validators#weakLastModified() weak} date. Once that second has passed, a date the
   * guard supplied moves to the next whole second, which then belongs to this version alone.
   *
   * @return the validators and which of them the guard supplied, or {@code null} for a
   *     response that is not a current representation
   */
  Learned learn(ResourceKey key, dev.etagguard.spi.ResponseView response, @Nullable EntityTag digest, boolean generatedAllowed) {
    String etagHeader = response.header("ETag");
    EntityTag tag = EntityTag.parseOrNull(etagHeader);
    java.time.Instant lm = HttpDates.parse(response.header("Last-Modified"));
    boolean generated = false;
    if (etagHeader == null && digest != null && generatedAllowed) {
      tag = digest;
      generated = true;
    }
    if (tag == null && lm == null) {
      return new Learned(Validators.NONE, false, false, null);
    }
    Validators known = store.get(key);
    boolean sameVersion = known != null && tag != null && tag.equals(known.etag()) && known.lastModified() != null;
    boolean suppliedLm = false;
    boolean weak;
    if (lm == null) {
      suppliedLm = true;
      if (sameVersion) {
        lm = known.lastModified();
        weak = known.weakLastModified();
        if (weak && clock.instant().getEpochSecond() > known.lastModifiedSeconds()) {
          // The shared second is over and this version is still current: the next second is its own.
          lm = java.time.Instant.ofEpochSecond(known.lastModifiedSeconds() + 1);
          weak = false;
        }
      } else {
        lm = clock.instant();
        weak = sharesDate(key, known, tag, lm);
      }
    } else {
      weak = sameVersion && known.lastModifiedSeconds() == lm.getEpochSecond()
          ? known.weakLastModified()
          : sharesDate(key, known, tag, lm);
    }
    return new Learned(new Validators(true, tag, lm, weak), generated, suppliedLm, known);
  }

  /**
   * Whether a version with {@code tag} dated {@code lm} may share its Last-Modified second with
   * another version: the known previous version is not older, or two writes finished in it.
   */
  boolean sharesDate(ResourceKey key, @Nullable Validators known, @Nullable EntityTag tag, java.time.Instant lm) {
    long second = lm.getEpochSecond();
    boolean previousNotOlder = known != null && known.lastModified() != null && !Objects.equals(tag, known.etag())
        && known.lastModifiedSeconds() >= second;
    return previousNotOlder || recentChanges.changesIn(key, second) >= 2;
  }

  /**
   * Validators learned from a response, which of them the guard supplied, and what the store held
   * when they were learned ({@code null} when it was not asked).
   */
  record Learned(Validators validators, boolean generatedTag, boolean suppliedLastModified, @Nullable Validators known) {
    Map<String, String> suppliedHeaders() {
      if (!generatedTag && !suppliedLastModified) {
        return Map.of();
      }
      Map<String, String> h = new ReadDecision.Fields();
      if (generatedTag && validators.etag() != null) {
        h.put("ETag", validators.etag().toString());
      }
      if (suppliedLastModified && validators.lastModified() != null) {
        h.put("Last-Modified", HttpDates.format(validators.lastModified()));
      }
      return h;
    }
  }

  @Override
  public String toString() {
    return "GuardEngine{" + settings + ", store=" + store + ", sequencer=" + sequencer + ", generator=" + generator + "}";
  }

  /** Builds a {@link GuardEngine}, replacing built-in SPIs where set. Not thread-safe. */
  public static final class Builder {
    private final GuardSettings settings;
    private @Nullable ResourceKeyResolver resolver;
    private @Nullable ValidatorStore store;
    private @Nullable WriteSequencer sequencer;
    private @Nullable EntityTagGenerator generator;
    private @Nullable GuardListener listener;
    private @Nullable Clock clock;

    private Builder(GuardSettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Replaces the key resolver. */
    public Builder resolver(ResourceKeyResolver resolver) {
      this.resolver = resolver;
      return this;
    }

    /** Replaces the validator store. */
    public Builder store(ValidatorStore store) {
      this.store = store;
      return this;
    }

    /** Replaces the write sequencer. */
    public Builder sequencer(WriteSequencer sequencer) {
      this.sequencer = sequencer;
      return this;
    }

    /** Replaces the ETag generator. */
    public Builder generator(EntityTagGenerator generator) {
      this.generator = generator;
      return this;
    }

    /** Sets the listener. */
    public Builder listener(GuardListener listener) {
      this.listener = listener;
      return this;
    }

    /** Replaces the clock that dates first-seen representations. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * The engine. When the settings name a {@linkplain GuardSettings#sharedStore() shared store} and
     * neither a store nor a sequencer was given, the engine opens that store (found on the class
     * path, see {@link SharedStore}) and closes it in {@link GuardEngine#close()}; a store and a
     * sequencer given here are used instead (the Spring Boot starter gives the shared ones).
     *
     * @throws IllegalArgumentException naming what is missing or malformed: a store that is not on
     *     the class path (with its module's artifact), an unknown {@code sharedStore}, one store-side
     *     option or resource; or a store or sequencer given alone beside {@code sharedStore}
     */
    public GuardEngine build() {
      SharedStore.@Nullable Opened opened = null;
      if (settings.shared()) {
        if (store == null && sequencer == null) {
          opened = SharedStores.open(settings);
        } else if (store == null || sequencer == null) {
          throw new IllegalArgumentException("ETag Guard option 'sharedStore' is " + settings.sharedStore() + ", but "
              + "only a " + (store == null ? "sequencer" : "store") + " was given to the engine's builder: give both "
              + "(they are used instead of the shared store) or neither");
        }
      }
      try {
        return new GuardEngine(this, opened);
      } catch (RuntimeException e) {
        if (opened != null) {
          opened.close();
        }
        throw e;
      }
    }
  }
}
