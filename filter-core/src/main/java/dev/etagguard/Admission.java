package dev.etagguard;

import dev.etagguard.settings.CompressionMode;

import dev.etagguard.problem.Problem;

import dev.etagguard.decision.Preconditions;
import dev.etagguard.decision.Outcome;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import dev.etagguard.http.ByteRange;
import dev.etagguard.http.EntityTag;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.GuardListener.Decision;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ResponseView;
import dev.etagguard.spi.WriteSequencer.Permit;
import dev.etagguard.spi.WriteSequencer.PermitUnavailableException;

import org.jspecify.annotations.Nullable;

/**
 * One request's passage through the guard, created by {@link GuardEngine#admit}. Adapters drive
 * it in this order:
 *
 * <pre>
 * PASS:  run the handler untouched.
 * any:   rejection() != null  -> send it, done (428 / 400, before any lock).
 * READ:  if needsPermit() (option readPermits): acquire() -> (failure: unavailable(failure), 503)
 *        answerFromStore() != null -> apply it (304 / 412, option authoritativePaths), done
 *        run the handler into a capturing response (HEAD as GET), then
 *        completeRead(...) -> PASS / FULL / PARTIAL / NOT_MODIFIED / REJECT.
 *        close()  (when a permit was acquired: finally, async completion, error, timeout)
 * WRITE: acquire() -> (failure: unavailable(failure), 503)
 *        if needsCurrentState(): internal GET -> learnCurrentState(...)
 *        decide() != null -> send it (412), done
 *        run the handler (capturing), then completeWrite(...):
 *          true -> internal GET -> learnAfterWrite(...) -> headers to add
 *        commitFailure() != null -> send it instead of the handler's response, if still held
 *        close()  (always: finally, async completion, error, timeout)
 * </pre>
 *
 * <p>A write under a fenced permit (a distributed sequencer's, see
 * {@link dev.etagguard.spi.WriteSequencer.Permit#fencingToken()}) hands its token to the handler
 * as the request attribute {@link #FENCING_TOKEN_ATTRIBUTE}, and is committed by compare-and-set
 * in the validator store: {@code decide()} may then also answer 409 or 503, and
 * {@link #commitFailure()} tells when the commit after the handler was refused.
 *
 * <p>{@link #close()} is idempotent and may be called from any thread; it releases the permit
 * (a write's, or a read's shared one), also one granted after the request was abandoned. Other
 * methods are called by one thread at a time.
 *
 * @since 0.1
 */
final class Admission implements AutoCloseable {

  /** How the request is handled. */
  public enum Kind {
    /** Outside the guard: run the handler untouched. */
    PASS,
    /** GET or HEAD: validators and conditional answers. */
    READ,
    /** An unsafe method: ordered, preconditions checked under the resource's permit. */
    WRITE
  }

  /** See {@link Exchange#FENCING_TOKEN_ATTRIBUTE}. */
  static final String FENCING_TOKEN_ATTRIBUTE = Exchange.FENCING_TOKEN_ATTRIBUTE;

  private final GuardEngine engine;
  private final Kind kind;
  private final @Nullable ResourceKey key;
  private final String method;
  private final RequestConditions conditions;
  private final long stamp;
  private final @Nullable Answer rejection;
  private final boolean weakIfMatch;

  private @Nullable Validators current;
  private boolean currentLoaded;
  private boolean written;
  /** The handler's response to the write was recorded ({@link #completeWrite}), variants forgotten with it. */
  private boolean completed;
  private boolean settled;
  private @Nullable Permit permit;
  private boolean closed;
  private long acquireStart;
  /** Option authoritativePaths: a conditional read that the validator store may answer. */
  private boolean storeAnswers;
  /** The request fields the handler does not see (see {@link #hiddenFields()}); {@code null} until decided. */
  private java.util.@Nullable Set<String> hidden;
  /** The validators on which If-Range held, so Range went to the handler; {@code null} otherwise. */
  private @Nullable Validators rangeBasis;
  /** The request of a read, whose fields name the variant its response is (see {@link NegotiatedVariants}). */
  private dev.etagguard.spi.@Nullable RequestView request;
  /** The request content the handler read through the guard, whole, for recognizing a retry of this write. */
  private RecentWrites.@Nullable Content content;
  /** Option retryRecognition: the fingerprint of the request without its content (see {@link RecentWrites#fingerprint}). */
  private String fingerprint = "";
  /** The length of the request content as declared, {@code -1} when unknown (see {@link GuardEngine#declaredLength}). */
  private long declaredLength = -1;
  /** The status of a successful conditional write whose result the internal GET will tell. */
  private int recordStatus;
  /** Option invalidationRules: the keys a write changes besides its own. */
  private List<ResourceKey> related = List.of();
  // Fenced writes only: the commit protocol, what the store held, and a refused commit.
  private @Nullable FencedCommit fenced;
  private @Nullable Validators found;
  private boolean foundLoaded;
  private @Nullable Answer commitFailure;
  /** The current state was learned from the handler, as this client (an internal GET). */
  private boolean confirmed;
  /** The application's refusal of this client's read (401, 403), which takes precedence over preconditions. */
  private @Nullable Answer refusal;
  /** The application did not let this client read the resource the store knows: a 412 tells no validators. */
  private boolean unreadable;

  Admission(GuardEngine engine, Kind kind, @Nullable ResourceKey key, String method, RequestConditions conditions,
      long stamp, @Nullable Answer rejection, boolean weakIfMatch) {
    this.engine = engine;
    this.weakIfMatch = weakIfMatch;
    this.kind = kind;
    this.key = key;
    this.method = method;
    this.conditions = conditions;
    this.stamp = stamp;
    this.rejection = rejection;
  }

  /**
   * Whether {@link #answerFromStore()} may answer this request: a conditional GET or HEAD of a
   * path of the option {@code authoritativePaths}.
   */
  public boolean storeMayAnswer() {
    return storeAnswers && kind == Kind.READ;
  }

  /** Sets the request of a read; once, before the admission is handed out. */
  Admission reading(dev.etagguard.spi.RequestView request) {
    this.request = request;
    return this;
  }

  /** Marks a conditional read of an authoritative path; set once, before the admission is handed out. */
  Admission answerableFromStore() {
    this.storeAnswers = true;
    return this;
  }

  /**
   * Option retryRecognition: sets what identifies the write request besides its content (see
   * {@link RecentWrites#fingerprint}) and the content it declares; once.
   */
  Admission recognizable(String fingerprint, long declaredLength) {
    this.fingerprint = fingerprint;
    this.declaredLength = declaredLength;
    return this;
  }

  /**
   * The content as the guard saw it, or {@code null} when the guard cannot tell that it saw all
   * of it: read to the end, and exactly as long as the request declares. Content of an undeclared
   * length (chunked, HTTP/2 without Content-Length) could have been consumed before the guard
   * unnoticed: never seen.
   */
  private RecentWrites.@Nullable Content seen(@Nullable EntityTag digest, long length) {
    if (length < 0) {
      return null;
    }
    if (declaredLength < 0 || length != declaredLength || (length > 0 && digest == null)) {
      return null;
    }
    return length == 0 ? RecentWrites.Content.NONE : new RecentWrites.Content(digest, length);
  }

  /** Sets the keys a write changes besides its own; once, before the admission is handed out. */
  Admission invalidating(List<ResourceKey> keys) {
    this.related = keys;
    return this;
  }

  static Admission pass(GuardEngine engine) {
    return new Admission(engine, Kind.PASS, null, "", RequestConditions.NONE, 0, null, false);
  }

  /** How to handle the request. */
  public Kind kind() {
    return kind;
  }

  /** The resource key; {@code null} for {@link Kind#PASS}. */
  public @Nullable ResourceKey key() {
    return key;
  }

  /** The request's conditional headers. */
  public RequestConditions conditions() {
    return conditions;
  }

  /** The answer to send at once (428 or 400), or {@code null}. */
  public @Nullable Answer rejection() {
    return rejection;
  }

  /** Whether GET responses of this request may get a generated ETag (the body should be digested). */
  public boolean digestBody() {
    return kind == Kind.READ && engine.settings.maxBufferSize() > 0;
  }

  /**
   * The request fields (lower case) the handler must not see, decided once, before the handler
   * runs (after a read's permit, when it takes one):
   * <ul>
   *   <li>{@code accept-encoding} with the option {@code compressionMode=identity}, so nothing
   *       behind the guard compresses what it tags;
   *   <li>{@code range} and {@code if-range} on a GET whose If-Range does not hold on the
   *       validators the guard knows (RFC 9110 13.1.5): the client must get the whole current
   *       representation, and a handler may ignore If-Range (and send a part of another version,
   *       which a resumed download splices in) or not know the guard's own tag. The handler sends
   *       it whole; the guard cuts the range itself where If-Range holds on the response. Where
   *       If-Range holds on what the guard knows, or it knows nothing, both go to the handler,
   *       which knows best whether a write has just changed the resource.
   * </ul>
   */
  public java.util.Set<String> hiddenFields() {
    java.util.Set<String> h = hidden;
    if (h == null) {
      java.util.Set<String> names = new java.util.HashSet<>(4);
      if (kind == Kind.READ && engine.settings.compressionMode() == CompressionMode.IDENTITY) {
        names.add("accept-encoding");
      }
      if (kind == Kind.READ && "GET".equals(method) && conditions.range() != null && conditions.ifRange() != null) {
        Validators v = engine.store.get(requireKey());
        if (v != null && v.exists() && (v.etag() != null || v.lastModified() != null)) {
          if (Preconditions.ifRange(conditions.ifRange(), v)) {
            rangeBasis = v;
          } else {
            names.add("range");
            names.add("if-range");
          }
        }
      }
      h = java.util.Set.copyOf(names);
      hidden = h;
    }
    return h;
  }

  /** The largest body to hold back. */
  public int maxBufferSize() {
    return engine.settings.maxBufferSize();
  }

  /** The query parameters that are part of resource keys; an internal GET keeps only these. */
  public java.util.Set<String> keyParameters() {
    return engine.settings.keyQueryParameters();
  }

  /**
   * A buffer for a response body of this request's resource, up to {@link #maxBufferSize()}
   * bytes: the handler's answer to a read, or to an internal GET. With {@code digest}, it
   * digests the body with the engine's generator, comparing it first with the last body
   * digested for the resource (option {@code digestCacheSize}).
   *
   * @param hold whether to keep the bytes (false: count and digest only, e.g. HEAD)
   * @param digest whether to digest the body
   */
  public BodyBuffer bodyBuffer(boolean hold, boolean digest) {
    return digest
        ? new BodyBuffer(engine.settings.maxBufferSize(), hold, engine.generator, engine.digestCache, key)
        : new BodyBuffer(engine.settings.maxBufferSize(), hold, null);
  }

  /** The engine's ETag generator, to digest bodies with. */
  public dev.etagguard.spi.EntityTagGenerator generator() {
    return engine.generator;
  }

  /**
   * Whether the adapter must {@link #acquire()} the resource's permit before running the handler:
   * always for a write, and for a read when the option {@code readPermits} is on (a shared
   * permit). Such an admission must be {@link #close() closed}.
   */
  public boolean needsPermit() {
    return kind == Kind.WRITE || (kind == Kind.READ && engine.settings.readPermits());
  }

  // ---------------------------------------------------------------- reads

  /**
   * Option {@code authoritativePaths}: decides a conditional GET or HEAD on the validator store,
   * before the handler runs. Call it after the read's permit was granted (when
   * {@link #needsPermit()}), before running the handler.
   *
   * <p>Answers only while no write of the resource is in progress: the read's shared permit is
   * held (option {@code readPermits}), or one is free at once and is held for the lookup. Every
   * write through the guard records or drops the resource's validators before it releases its
   * permit, so the stored validators are then the current ones.
   *
   * @return a {@link ReadDecision.Action#NOT_MODIFIED} decision (304 with the stored ETag and
   *     Last-Modified) or a {@link ReadDecision.Action#REJECT} one (412), to send without running
   *     the handler; or {@code null}: run the handler (not an authoritative path, no precondition
   *     that fails or answers 304, the resource unknown to the store, or a write in progress)
   */
  public @Nullable ReadDecision answerFromStore() {
    if (!storeAnswers || kind != Kind.READ) {
      return null;
    }
    ResourceKey k = requireKey();
    Permit tried = null;
    if (!engine.settings.readPermits()) {
      CompletableFuture<Permit> free = engine.sequencer.acquireShared(k, engine.settings.permitTimeout());
      if (!free.isDone() || free.isCompletedExceptionally()) {
        // A write holds or awaits the key: the handler answers, as without the option.
        if (!free.cancel(false) && !free.isCompletedExceptionally()) {
          free.join().release(); // granted between the check and the cancel
        }
        return null;
      }
      tried = free.join();
    }
    try {
      Validators v = engine.store.get(k);
      if (v == null || !v.exists() || v.etag() == null) {
        return null;
      }
      if (EncodedVariants.namesVariant(conditions, v.etag()) || engine.negotiated.varies(k)) {
        return null; // a variant's tag, or a negotiated resource: only the handler's response tells which one it sends
      }
      switch (Preconditions.evaluate(method, conditions, v, weakIfMatch)) {
        case NOT_MODIFIED -> {
          engine.listener.onDecision(k, method, Decision.NOT_MODIFIED);
          Map<String, String> headers = new ReadDecision.Fields();
          GuardEngine.addValidators(headers, v);
          return new ReadDecision(ReadDecision.Action.NOT_MODIFIED, headers, null, null);
        }
        case PRECONDITION_FAILED -> {
          return new ReadDecision(ReadDecision.Action.REJECT, Map.of(), null, engine.preconditionFailed(k, method, v,
              "The representation does not satisfy If-Match / If-Unmodified-Since."));
        }
        default -> {
          return null;
        }
      }
    } finally {
      if (tried != null) {
        tried.release();
      }
    }
  }

  /**
   * Decides a GET or HEAD once the handler has produced its response.
   *
   * @param response the handler's status and headers
   * @param digest the generated tag of the complete body, or {@code null} when the body was not
   *     digested or not held completely
   * @param length the body length when held completely, else {@code -1}
   */
  public ReadDecision completeRead(ResponseView response, @Nullable EntityTag digest, long length) {
    ResourceKey k = requireKey();
    int status = response.status();
    if (status == 206) {
      return partialFromHandler(k, response);
    }
    if (status < 200 || status > 299) {
      engine.listener.onDecision(k, method, status == 304 ? Decision.NOT_MODIFIED : Decision.SERVED);
      if (status == 304) {
        engine.listener.onNotModified(k, method, -1);
      }
      return ReadDecision.PASS;
    }
    boolean generatedAllowed = status == 200 && length > 0 && !noStore(response.header("Cache-Control"));
    GuardEngine.Learned learned = engine.learn(k, response, digest, generatedAllowed);
    Validators identity = learned.validators();
    Map<String, String> supplied = learned.suppliedHeaders();
    if (learned.suppliedLastModified() && !engine.settings.heuristicFreshness() && !statesFreshness(response)) {
      // The guard's own date must not make the response heuristically fresh (RFC 9111 4.2.2).
      // Every line of the handler's field is kept, in one line (the same field, RFC 9110 5.3).
      Map<String, String> fields = new ReadDecision.Fields();
      fields.putAll(supplied);
      List<String> own = new java.util.ArrayList<>(response.headers("Cache-Control"));
      own.removeIf(String::isBlank);
      own.add("no-cache");
      fields.put("Cache-Control", String.join(", ", own));
      supplied = fields;
    }
    // An encoded (compressed) response is a representation of its own (RFC 9110 8.8.3.3).
    String coding = EncodedVariants.coding(response.header("Content-Encoding"));
    Validators v = identity;
    // Most reads learn what the store holds already: then there is nothing to record.
    boolean remember = identity.etag() != null && !identity.equals(learned.known());
    if (coding != null && identity.etag() != null && !identity.etag().weak()) {
      if (learned.generatedTag()) {
        remember = false; // the digest of encoded bytes: sent, but the store keeps identity tags
      } else {
        v = EncodedVariants.encoded(identity, coding, engine.settings.compressionMode());
        if (engine.settings.compressionMode() == CompressionMode.SUFFIX && v.etag() != null) {
          engine.encodedVariants.sent(k, v.etag(), coding);
        }
        Map<String, String> fields = new ReadDecision.Fields();
        fields.putAll(supplied);
        EncodedVariants.putTag(fields, identity, v);
        supplied = fields;
      }
    }
    // A negotiated response (Vary) is one of the resource's current representations: remember its tag too.
    EntityTag variantTag = coding != null && learned.generatedTag() ? null : identity.etag();
    String variant = variantTag == null || request == null ? null
        : NegotiatedVariants.variant(response.header("Vary"), request, java.util.Set.of());
    if (variant != null && (remember || !engine.negotiated.knows(k, variant, variantTag))) {
      boolean store = remember;
      engine.versions.ifUnchanged(k, stamp, () -> {
        if (store) {
          engine.store.put(k, identity);
        }
        engine.negotiated.learned(k, variant, variantTag);
      });
    } else if (remember) {
      engine.versions.ifUnchanged(k, stamp, () -> engine.store.put(k, identity));
    }
    Outcome outcome = Preconditions.evaluate(method, conditions, v, weakIfMatch);
    switch (outcome) {
      case PRECONDITION_FAILED -> {
        return new ReadDecision(ReadDecision.Action.REJECT, Map.of(), null,
            engine.preconditionFailed(k, method, v, "The representation does not satisfy If-Match / If-Unmodified-Since."));
      }
      case NOT_MODIFIED -> {
        engine.listener.onDecision(k, method, Decision.NOT_MODIFIED);
        engine.listener.onNotModified(k, method, "HEAD".equals(method) ? 0 : length);
        return new ReadDecision(ReadDecision.Action.NOT_MODIFIED, supplied, null, null);
      }
      default -> {
        // Range applies to GET only (RFC 9110 14.2), and only where the whole body is at hand.
        if (outcome == Outcome.PROCEED && "GET".equals(method) && conditions.range() != null && status == 200
            && length >= 0) {
          ByteRange.Resolution r = ByteRange.resolve(conditions.range(), length);
          if (r instanceof ByteRange.Partial p) {
            engine.listener.onDecision(k, method, Decision.SERVED);
            return new ReadDecision(ReadDecision.Action.PARTIAL, supplied, p.range(), null);
          }
          if (r instanceof ByteRange.Unsatisfiable) {
            engine.listener.onDecision(k, method, Decision.RANGE_NOT_SATISFIABLE);
            Map<String, String> h = new LinkedHashMap<>(supplied);
            h.put("Content-Range", ByteRange.unsatisfiedContentRange(length));
            return new ReadDecision(ReadDecision.Action.REJECT, Map.of(), null, new Answer(416, h,
                Problem.of("range-not-satisfiable", "Range Not Satisfiable", 416,
                    "The range starts beyond the representation's " + length + " bytes.", k.value())));
          }
        }
        engine.listener.onDecision(k, method, Decision.SERVED);
        return new ReadDecision(ReadDecision.Action.FULL, supplied, null, null);
      }
    }
  }

  /**
   * A part the handler sent itself (it honoured Range): it carries the validators the whole
   * representation would (RFC 9110 15.3.7), so the guard adds the ones it knows where the
   * handler sent none: those If-Range held on, else the stored ones. Not to an encoded part
   * (the stored tags name the identity representation).
   */
  private ReadDecision partialFromHandler(ResourceKey k, ResponseView response) {
    engine.listener.onDecision(k, method, Decision.SERVED);
    if (response.header("ETag") != null || EncodedVariants.coding(response.header("Content-Encoding")) != null) {
      return ReadDecision.PASS;
    }
    Validators v = rangeBasis != null ? rangeBasis : engine.store.get(k);
    if (v == null || !v.exists() || v.etag() == null) {
      return ReadDecision.PASS;
    }
    Map<String, String> fields = new ReadDecision.Fields();
    fields.put("ETag", v.etag().toString());
    if (v.lastModified() != null && response.header("Last-Modified") == null) {
      fields.put("Last-Modified", dev.etagguard.http.HttpDates.format(v.lastModified()));
    }
    return new ReadDecision(ReadDecision.Action.FULL, fields, null, null);
  }

  /**
   * Whether the response states its freshness, so no cache computes a heuristic one (RFC 9111
   * 4.2.2): {@code Expires}, or a Cache-Control {@code max-age}, {@code s-maxage},
   * {@code no-cache} or {@code no-store} directive.
   */
  static boolean statesFreshness(ResponseView response) {
    if (response.header("Expires") != null) {
      return true;
    }
    for (String cacheControl : response.headers("Cache-Control")) {
      for (String directive : cacheControl.split(",")) {
        String d = directive.strip();
        int eq = d.indexOf('=');
        String name = (eq < 0 ? d : d.substring(0, eq).strip()).toLowerCase(java.util.Locale.ROOT);
        if (name.equals("max-age") || name.equals("s-maxage") || name.equals("no-cache") || name.equals("no-store")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether Cache-Control holds the {@code no-store} directive (not a quoted value that contains it). */
  static boolean noStore(@Nullable String cacheControl) {
    if (cacheControl == null) {
      return false;
    }
    for (String directive : cacheControl.split(",")) {
      String d = directive.strip();
      int eq = d.indexOf('=');
      if ((eq < 0 ? d : d.substring(0, eq).strip()).equalsIgnoreCase("no-store")) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- permits

  /**
   * Requests the resource's permit: the exclusive one for a write, a shared one for a read (see
   * {@link #needsPermit()}). The future completes when it is granted, or exceptionally with
   * {@link PermitUnavailableException} (answer with {@link #unavailable}).
   */
  public CompletableFuture<Void> acquire() {
    ResourceKey k = requireKey();
    acquireStart = System.nanoTime();
    CompletableFuture<Permit> requested = kind == Kind.READ
        ? engine.sequencer.acquireShared(k, engine.settings.permitTimeout())
        : engine.sequencer.acquire(k, engine.settings.permitTimeout());
    return requested.thenAccept(granted -> {
      boolean releaseNow;
      synchronized (this) {
        releaseNow = closed;
        if (!closed) {
          permit = granted;
          OptionalLong token = granted.fencingToken();
          if (kind == Kind.WRITE && token.isPresent()) {
            fenced = new FencedCommit(engine, k, method, granted, token.getAsLong());
          }
        }
      }
      if (releaseNow) {
        granted.release();
        throw new PermitUnavailableException("The request ended before its permit was granted", false);
      }
      engine.listener.onPermitGranted(k, System.nanoTime() - acquireStart);
    });
  }

  /**
   * The fencing token of a write's permit, once granted: present for fenced (distributed)
   * permits only. Adapters set it as the request attribute {@link #FENCING_TOKEN_ATTRIBUTE}.
   *
   * @since 0.1
   */
  public synchronized OptionalLong fencingToken() {
    return fenced == null ? OptionalLong.empty() : OptionalLong.of(fenced.token());
  }

  /** The 503 answer for a failed {@link #acquire()}. */
  public Answer unavailable(Throwable failure) {
    ResourceKey k = requireKey();
    engine.listener.onPermitUnavailable(k, System.nanoTime() - acquireStart);
    engine.listener.onDecision(k, method, Decision.UNAVAILABLE);
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    boolean full = cause instanceof PermitUnavailableException p && p.queueFull();
    long retry = Math.max(1, engine.settings.permitTimeout().toSeconds() / 10);
    String detail = full ? "Too many requests are waiting for this resource; retry later."
        : !(cause instanceof PermitUnavailableException) ? "The shared lock service could not be reached; retry later."
        : kind == Kind.READ ? "A write to this resource took too long, so it could not be read; retry later."
        : "Another request to this resource took too long; retry later.";
    return new Answer(503, Map.of("Retry-After", Long.toString(retry)), Problem.of("write-permit-unavailable",
        "Service Unavailable", 503, detail, k.value()));
  }

  /**
   * The 400 answer for a write whose content did not arrive whole before its permit was to be
   * taken: the client broke off, or stopped sending until the server's read timeout.
   */
  public Answer incompleteContent() {
    ResourceKey k = requireKey();
    return new Answer(400, Map.of("Connection", "close"), Problem.of("incomplete-content", "Bad Request", 400,
        "The request content did not arrive whole; nothing was written.", k.value()));
  }

  /** The slowest a write's content may arrive under its permit (option {@code minContentRate}). */
  long minContentRate() {
    return engine.settings.minContentRate();
  }

  /**
   * The 408 answer for a write whose content, read under its permit, arrived slower than
   * {@code minContentRate}: the rest is not read, so the connection closes.
   */
  public Answer slowContent() {
    ResourceKey k = requireKey();
    return new Answer(408, Map.of("Connection", "close"), Problem.of("content-too-slow", "Request Timeout", 408,
        "The request content arrived too slowly while the write held the resource; the write was abandoned.",
        k.value()));
  }

  // ---------------------------------------------------------------- writes

  /**
   * Whether the resource's current validators must be learned from the handler (an internal GET,
   * run as this client) before {@link #decide()}: the request has a precondition, and the store
   * does not know the key, or its preconditions fail on what the store holds. A failing
   * precondition is confirmed through the application before the guard answers it, so a client
   * the application refuses a read learns nothing from the guard (RFC 9110 13.2.1: preconditions
   * are ignored where the response without them would not be 2xx or 412). Call once the permit
   * is held.
   */
  public boolean needsCurrentState() {
    if (!conditions.hasWritePrecondition() || confirmed) {
      return false;
    }
    if (!currentLoaded) {
      FencedCommit f = fenced;
      current = f != null ? f.found() : engine.store.get(requireKey());
      currentLoaded = true;
      if (fenced != null) {
        // A write's marker stands for an unknown state: learn it from the handler.
        found = current;
        foundLoaded = true;
        if (FencedCommit.isMarker(current)) {
          current = null;
        }
      }
    }
    return current == null || evaluateWrite(requireKey(), current) == Outcome.PRECONDITION_FAILED;
  }

  /** A write's preconditions on {@code v}: encoded variants mapped, every negotiated variant counted. */
  private Outcome evaluateWrite(ResourceKey k, Validators v) {
    RequestConditions checked = engine.settings.compressionMode() == CompressionMode.SUFFIX
        ? EncodedVariants.identifyVariants(conditions, v.etag(), engine.encodedVariants, k)
        : conditions;
    // Every current variant of a negotiated resource satisfies If-Match (in-process state only:
    // with a distributed sequencer, writes on other instances do not order this one's reads).
    java.util.Set<EntityTag> variants = fenced == null ? engine.negotiated.alongside(k, v.etag()) : java.util.Set.of();
    return Preconditions.evaluate(method, checked, v, variants, weakIfMatch);
  }

  /**
   * Records what an internal GET (conditional headers stripped) answered. For a resource the store
   * did not know: 2xx gives the validators, 404 and 410 an absent resource, anything else leaves
   * the state unknown, which fails every precondition. For one it knew (a failing precondition
   * being confirmed), the store stays the arbiter, whatever the application's GET shows (a
   * replica or a cache behind it may lag): the GET only tells whether this client may read it.
   * Either way, 401 and 403 make the application's refusal the answer; for a known resource, any
   * other answer that is not 2xx (a redirect to a login, a 404 that hides it from this client)
   * makes the 412 carry no validators.
   *
   * @param response the internal GET's status and headers
   * @param digest the generated tag of its complete body, or {@code null}
   * @param length its body length when held completely, else {@code -1}
   */
  public void learnCurrentState(ResponseView response, @Nullable EntityTag digest, long length) {
    int status = response.status();
    if (status == 401 || status == 403) {
      // The application refuses this client a read: its refusal takes precedence over any precondition.
      ResourceKey k = requireKey();
      engine.listener.onDecision(k, method, Decision.SERVED);
      String challenge = response.header("WWW-Authenticate");
      refusal = new Answer(status, challenge == null ? Map.of() : Map.of("WWW-Authenticate", challenge),
          Problem.of(status == 401 ? "unauthorized" : "forbidden", status == 401 ? "Unauthorized" : "Forbidden", status,
              "The application refuses this client a read of the resource, so its preconditions are not evaluated.",
              k.value()));
      current = null;
    } else if (current != null) {
      unreadable = status < 200 || status > 299;
    } else {
      current = learnFromGet(response, digest, length);
    }
    currentLoaded = true;
    confirmed = true;
  }

  private @Nullable Validators learnFromGet(ResponseView response, @Nullable EntityTag digest, long length) {
    ResourceKey k = requireKey();
    int status = response.status();
    if (status == 404 || status == 410) {
      if (fenced == null) {
        engine.invalidate(k);
      }
      return Validators.ABSENT;
    }
    if (status < 200 || status > 299 || status == 206) {
      if (fenced == null) {
        engine.invalidate(k);
      }
      return null;
    }
    Validators v = engine.learn(k, response, digest, status == 200 && length > 0
        && !noStore(response.header("Cache-Control"))).validators();
    if (fenced != null) {
      return v; // a fenced write changes the store only by compare-and-set
    }
    engine.versions.write(k, () -> {
      if (v.etag() != null) {
        engine.store.put(k, v);
      } else {
        engine.store.invalidate(k);
      }
    });
    return v;
  }

  /**
   * Evaluates the preconditions under the permit.
   *
   * @return the 412 answer, or {@code null} to run the handler
   */
  public @Nullable Answer decide() {
    return decide(null);
  }

  /**
   * The content of a write's request, read only when the guard needs to tell whether a write is
   * a retry of one that already succeeded (option {@code retryRecognition}).
   */
  @FunctionalInterface
  public interface RequestContent {
    /** Opens the request content; the guard reads it to the end (bounded) and closes nothing. */
    java.io.InputStream open() throws java.io.IOException;
  }

  /**
   * Whether the adapter should digest the request content as the handler reads it and pass the
   * tag to {@link #completeWrite(ResponseView, EntityTag)}: for a PUT (RFC 9110 9.3.4) and, with
   * {@code retryRecognition}, for a conditional PATCH or DELETE.
   */
  public boolean digestsContent() {
    return "PUT".equals(method) || (engine.settings.retryRecognition() && conditions.hasWritePrecondition()
        && ("PATCH".equals(method) || "DELETE".equals(method)));
  }

  /**
   * Evaluates the preconditions under the permit, recognizing a retry of a write that already
   * succeeded (option {@code retryRecognition}): when the preconditions fail only because that
   * write happened, and this request repeats it exactly, the answer is the original success.
   *
   * @param requestContent the request's content, read only to recognize a retry; {@code null}
   *     when it cannot be read (then only a write without content is recognized)
   * @return the answer to send (412, or a recognized retry's 2xx), or {@code null} to run the handler
   */
  public @Nullable Answer decide(@Nullable RequestContent requestContent) {
    ResourceKey k = requireKey();
    if (!conditions.hasWritePrecondition()) {
      if (fenced != null) {
        return begin(k, null);
      }
      written = true; // the handler runs: an outcome close() does not know must drop the validators
      return null;
    }
    if (!currentLoaded) {
      needsCurrentState();
    }
    if (refusal != null) {
      return refusal;
    }
    Validators v = current;
    if (v == null) {
      return engine.preconditionFailed(k, method, Validators.NONE,
          "The current state of the resource could not be determined, so the precondition cannot be verified.");
    }
    if (evaluateWrite(k, v) == Outcome.PRECONDITION_FAILED) {
      String detail = unreadable ? "The precondition does not hold."
          : !v.exists()
          ? "The resource does not exist, so the precondition does not hold."
          : conditions.ifNoneMatch() != null && conditions.ifMatch() == null && conditions.ifUnmodifiedSince() == null
              ? "The resource already exists (or has a listed ETag); If-None-Match forbids this " + method + "."
              : "The resource has changed since the given ETag or date: fetch it again and reapply your change.";
      Answer retried = unreadable ? null : recognizeRetry(k, v, requestContent);
      if (retried != null) {
        return retried;
      }
      Answer refused = engine.preconditionFailed(k, method, unreadable ? Validators.NONE : v, detail);
      engine.listener.onLostUpdatePrevented(k, method);
      return refused;
    }
    if (fenced != null) {
      return begin(k, v);
    }
    written = true;
    return null;
  }

  /** The original success for a request that repeats the resource's last write, or {@code null}. */
  private @Nullable Answer recognizeRetry(ResourceKey k, Validators current, @Nullable RequestContent requestContent) {
    if (!engine.settings.retryRecognition()) {
      return null;
    }
    RecentWrites.Write last = engine.recentWrites.get(k);
    if (last == null || requestContent == null) {
      return null;
    }
    RecentWrites.Content sent;
    try {
      sent = read(requestContent.open());
    } catch (java.io.IOException | RuntimeException e) {
      return null; // content unreadable or too large: not recognized
    }
    if (sent == null || !last.repeatedBy(fingerprint, sent, current)) {
      return null; // not all of it seen by the guard, or another request
    }
    engine.listener.onRetryRecognized(k, method);
    engine.listener.onDecision(k, method, Decision.SERVED);
    return new Answer(last.status(), last.headers(), null);
  }

  /** A content as the guard reads it, {@code null} when not seen whole; fails beyond {@code maxBufferSize}. */
  private RecentWrites.@Nullable Content read(java.io.InputStream in) throws java.io.IOException {
    dev.etagguard.spi.EntityTagGenerator.Digest d = engine.generator.start();
    byte[] buffer = new byte[8192];
    long total = 0;
    int n;
    while ((n = in.read(buffer)) != -1) {
      total += n;
      if (total > Math.max(engine.settings.maxBufferSize(), 64 * 1024)) {
        throw new java.io.IOException("content too large to recognize a retry");
      }
      d.update(buffer, 0, n);
    }
    return seen(total == 0 ? null : d.finish(), total);
  }

  /** Remembers this write as the resource's last successful one (option {@code retryRecognition}). */
  private void recordWrite(ResourceKey k, Validators result, int status, Map<String, String> headers) {
    RecentWrites.Content c = content;
    if (engine.settings.retryRecognition() && conditions.hasWritePrecondition() && c != null) {
      engine.recentWrites.record(k, new RecentWrites.Write(fingerprint, c, result, status, headers));
    }
  }

  /** A fenced write replaces what the store held with its marker before the handler runs. */
  private @Nullable Answer begin(ResourceKey k, @Nullable Validators basis) {
    FencedCommit f = java.util.Objects.requireNonNull(fenced);
    if (!foundLoaded) {
      found = f.found();
      foundLoaded = true;
    }
    Answer refused = f.begin(found, basis);
    if (refused == null) {
      written = true;
    }
    return refused;
  }

  /**
   * Records the handler's response to the write and tells whether the adapter should learn the
   * new validators with an internal GET (then call {@link #learnAfterWrite}).
   *
   * @param response the handler's status and headers
   * @return {@code true} when an internal GET should follow
   */
  public boolean completeWrite(ResponseView response) {
    return completeWrite(response, null, -1);
  }

  /**
   * The write was let through and its host answered it without the guard seeing the outcome (the
   * handler's async processing ended, or the container's error handling answered): reported as
   * served; {@link #close()} then forgets the key's validators.
   */
  public void answeredByHost() {
    engine.listener.onDecision(requireKey(), method, Decision.SERVED);
  }

  /**
   * Records the handler's response to the write, with the tag of the request content the handler
   * read (see {@link #digestsContent()}), and tells whether the adapter should learn the new
   * validators with an internal GET (then call {@link #learnAfterWrite}).
   *
   * @param response the handler's status and headers
   * @param requestContent the generated tag of the complete request content, or {@code null}
   * @param requestContentLength the bytes of request content the handler read through the guard
   *     to its end, or {@code -1} when it did not read it to the end or the guard could not see it
   * @return {@code true} when an internal GET should follow
   */
  public boolean completeWrite(ResponseView response, @Nullable EntityTag requestContent, long requestContentLength) {
    ResourceKey k = requireKey();
    written = true;
    content = seen(requestContent, requestContentLength);
    engine.recentWrites.forget(k);
    engine.forgetVariants(k);
    completed = true;
    engine.recentChanges.changed(k, engine.clock.instant().getEpochSecond());
    engine.invalidateRelated(related);
    int status = response.status();
    if (fenced != null) {
      return completeFencedWrite(fenced, k, status, response);
    }
    engine.listener.onDecision(k, method, Decision.SERVED);
    if (status >= 200 && status <= 299 && ("PUT".equals(method) || "PATCH".equals(method))) {
      EntityTag own = EntityTag.parseOrNull(response.header("ETag"));
      if (own != null) {
        // The handler states the new validators itself.
        java.time.Instant lm = dev.etagguard.http.HttpDates.parse(response.header("Last-Modified"));
        Validators result = new Validators(true, own, lm, lm != null && engine.sharesDate(k, engine.store.get(k), own, lm));
        engine.versions.write(k, () -> engine.store.put(k, result));
        Map<String, String> stated = new LinkedHashMap<>();
        GuardEngine.addValidators(stated, result);
        recordWrite(k, result, status, stated);
        settled = true;
        return false;
      }
      recordStatus = status;
      return true;
    }
    engine.invalidate(k);
    if (status >= 200 && status <= 299 && "DELETE".equals(method)) {
      recordWrite(k, Validators.ABSENT, status, Map.of());
    }
    settled = true;
    return false;
  }

  private boolean completeFencedWrite(FencedCommit f, ResourceKey k, int status, ResponseView response) {
    if (status >= 200 && status <= 299) {
      if ("PUT".equals(method) || "PATCH".equals(method)) {
        EntityTag own = EntityTag.parseOrNull(response.header("ETag"));
        if (own == null) {
          recordStatus = status;
          return true;
        }
        Validators result = Validators.of(own, dev.etagguard.http.HttpDates.parse(response.header("Last-Modified")));
        Map<String, String> stated = new LinkedHashMap<>();
        GuardEngine.addValidators(stated, result);
        recordWrite(k, result, status, stated); // before the commit, which may release the permit
        commit(f, k, result);
        return false;
      }
      commit(f, k, null); // DELETE, POST, ...: the new state is unknown; the marker stays
      return false;
    }
    // The handler refused: nothing to commit, and the marker keeps the state unknown.
    engine.listener.onDecision(k, method, Decision.SERVED);
    settled = true;
    return false;
  }

  /**
   * Commits a fenced write; a commit that succeeds may release the permit with it (see
   * {@link FencedCommit}), so the write's in-process records are made before, and a refused
   * commit forgets them again.
   */
  private void commit(FencedCommit f, ResourceKey k, @Nullable Validators next) {
    commitFailure = f.commit(next);
    settled = true;
    if (commitFailure == null) {
      engine.listener.onDecision(k, method, Decision.SERVED);
    } else {
      engine.recentWrites.forget(k);
    }
  }

  /**
   * The answer to send instead of the handler's response when a fenced write's commit failed
   * after the handler ran: 409 when its permit was lost and the store shows that another writer
   * went ahead, 503 ({@code write-unconfirmed}) when the shared validator store could not be
   * reached or lost the state the commit compares against, so the outcome is unknown;
   * {@code null} otherwise (always, for
   * in-process permits). Call after {@link #completeWrite} and {@link #learnAfterWrite}; where
   * the response is already committed it cannot be replaced, and the state stays unknown, which
   * is safe.
   *
   * @since 0.1
   */
  public @Nullable Answer commitFailure() {
    return commitFailure;
  }

  /**
   * Records the validators an internal GET found after a successful write, and returns the
   * header fields the write's response may carry: the new ETag and Last-Modified, only when the
   * stored representation is byte-identical to the request content (RFC 9110 9.3.4), i.e. its
   * generated tag equals the request body's.
   *
   * @param response the internal GET's status and headers
   * @param digest the generated tag of its complete body, or {@code null}
   * @param length its body length when held completely, else {@code -1}
   * @param requestBodyDigest the generated tag of the complete request body, or {@code null}
   */
  public Map<String, String> learnAfterWrite(ResponseView response, @Nullable EntityTag digest, long length,
      @Nullable EntityTag requestBodyDigest) {
    Validators v = learnFromGet(response, digest, length);
    settled = true;
    Map<String, String> headers = recordAfterWrite(v, digest, requestBodyDigest);
    if (fenced != null) {
      commit(fenced, requireKey(), v != null && v.exists() ? v : null);
      if (commitFailure != null) {
        return Map.of();
      }
    }
    return headers;
  }

  /** Records a successful write's outcome as the internal GET found it; the fields its response may carry. */
  private Map<String, String> recordAfterWrite(@Nullable Validators v, @Nullable EntityTag digest,
      @Nullable EntityTag requestBodyDigest) {
    if (v == null || !v.exists() || v.etag() == null || digest == null || !"PUT".equals(method)
        || !digest.equals(v.etag()) || !digest.equals(requestBodyDigest)) {
      if (v != null && v.exists() && v.etag() != null && recordStatus != 0) {
        recordWrite(requireKey(), v, recordStatus, Map.of());
      }
      return Map.of();
    }
    Map<String, String> headers = new LinkedHashMap<>();
    GuardEngine.addValidators(headers, v);
    if (recordStatus != 0) {
      recordWrite(requireKey(), v, recordStatus, headers);
    }
    return headers;
  }

  /**
   * Ends the request: forgets the validators of a write whose outcome was not recorded, and
   * releases the permit. Idempotent, any thread.
   */
  @Override
  public void close() {
    Permit p;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      p = permit;
      permit = null;
    }
    if (kind == Kind.WRITE && written && !settled && key != null && fenced == null) {
      // (A fenced write's marker already stands for an unknown state.)
      ResourceKey k = key;
      engine.recentChanges.changed(k, engine.clock.instant().getEpochSecond());
      engine.invalidate(k); // the variants with the validators
      engine.invalidateRelated(related);
    } else if (kind == Kind.WRITE && written && !completed && key != null) {
      engine.forgetVariants(key); // a write whose outcome never reached completeWrite
    }
    if (p != null) {
      p.release();
    }
  }

  private ResourceKey requireKey() {
    if (key == null) {
      throw new IllegalStateException("Not a guarded request");
    }
    return key;
  }

  @Override
  public String toString() {
    return "Admission{" + kind + " " + method + " " + key + "}";
  }
}
