package dev.etagguard.jetty;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

import dev.etagguard.Admission;
import dev.etagguard.Answer;
import dev.etagguard.BodyBuffer;
import dev.etagguard.GuardEngine;
import dev.etagguard.GuardSettings;
import dev.etagguard.Problem;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;
import dev.etagguard.http.EntityTag;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.LifeCycle;
import org.jspecify.annotations.Nullable;

/**
 * ETag Guard as a Jetty 12 core {@link Handler.Wrapper}: generated strong ETags and
 * Last-Modified, 304 and 412 (RFC 9110 13.2.2), 428 for guarded writes without a precondition
 * (RFC 6585), single byte ranges with If-Range, and per-resource write ordering, in front of any
 * handler (a {@code ResourceHandler}, a servlet context, your own), with no servlet types.
 *
 * <p>Configured with the {@link GuardSettings} option names as setters (Jetty XML
 * {@code <Set name="guardedPaths">}), all taking strings; blank means default. Or construct it
 * with {@link #ETagGuardHandler(GuardSettings)} or {@link #ETagGuardHandler(GuardEngine)}.
 * Settings are frozen at start.
 *
 * <p>Non-blocking: a write (or, with the option {@code readPermits}, a read) waiting for its
 * resource's permit holds no thread; it continues on the server's executor when the permit is
 * granted. Bodies beyond {@code maxBufferSize} stream with the real response's callbacks, so
 * demand and back-pressure hold. The permit is released when the request's callback completes,
 * succeeded or failed. A write's request content is received in full before its permit is
 * taken (read with demand callbacks; up to 64 KiB in memory, beyond that in a temporary file
 * deleted when the exchange completes), so a client that sends slowly holds no permit; a client
 * that fails to send its content gets a 400, with no permit taken.
 *
 * <p>Place it inside a compression handler (compression outermost): the guard then sees and
 * tags identity bytes, and the compression handler gives the compressed variant its own ETag
 * (suffixed) and maps conditional headers back, so a compressed variant never shares a strong
 * ETag with the identity one. A request already guarded (request attribute
 * {@value #GUARDED_ATTRIBUTE}, also set for a servlet filter behind it) passes through.
 *
 * @since 0.1
 */
public class ETagGuardHandler extends Handler.Wrapper {

  /** The request attribute marking a request the guard has taken; the Servlet filter honours it too. */
  public static final String GUARDED_ATTRIBUTE = "dev.etagguard.guarded";

  private final Map<String, String> options = new LinkedHashMap<>();
  private final boolean fixedEngine;
  /** The settings the handler makes its engine from when it was given settings, else {@code null}. */
  private final @Nullable GuardSettings givenSettings;
  private volatile @Nullable GuardEngine engine;
  /** Whether the engine was closed by a stop, so a restart makes a new one. */
  private volatile boolean engineClosed;

  /** A handler configured by its setters, built at start. */
  public ETagGuardHandler() {
    this.fixedEngine = false;
    this.givenSettings = null;
    addEventListener(security);
  }

  /** A handler with the given settings; setters are not used. Its engine is closed when it stops. */
  public ETagGuardHandler(GuardSettings settings) {
    this.fixedEngine = true;
    this.givenSettings = settings;
    this.engine = GuardEngine.create(settings);
    addEventListener(security);
  }

  /**
   * A handler driven by the given engine (custom SPIs); setters are not used. The engine is its
   * giver's to close.
   */
  public ETagGuardHandler(GuardEngine engine) {
    this.engine = engine;
    this.fixedEngine = true;
    this.givenSettings = null;
    addEventListener(security);
  }

  /** The engine, once started (or given). */
  public @Nullable GuardEngine getEngine() {
    return engine;
  }

  @Override
  protected void doStart() throws Exception {
    if (!fixedEngine) {
      engine = GuardEngine.create(GuardSettings.fromOptions(options));
    } else if (givenSettings != null && engineClosed) {
      engine = GuardEngine.create(givenSettings);
    }
    engineClosed = false;
    super.doStart();
  }

  /** Stops, and closes the engine this handler made (its timer thread ends with it). */
  @Override
  protected void doStop() throws Exception {
    super.doStop();
    GuardEngine e = engine;
    if (e != null && (!fixedEngine || givenSettings != null)) {
      e.close();
      engineClosed = true;
    }
  }

  private void option(String name, @Nullable String value) {
    if (isStarted()) {
      throw new IllegalStateException("ETag Guard options are frozen once started: " + name);
    }
    if (fixedEngine) {
      throw new IllegalStateException("This handler was built with fixed settings: " + name);
    }
    options.put(name, value == null ? "" : value);
  }

  /** Option {@code enabled}: {@code false} passes every request through. Default {@code true}. */
  public void setEnabled(String value) {
    option("enabled", value);
  }

  /** Option {@code etagPaths}: paths whose GET/HEAD get generated validators. Default {@code /*}. */
  public void setEtagPaths(String value) {
    option("etagPaths", value);
  }

  /** Option {@code excludedPaths}: paths the guard never touches. */
  public void setExcludedPaths(String value) {
    option("excludedPaths", value);
  }

  /** Option {@code guardedPaths}: paths whose writes must carry a precondition (428). */
  public void setGuardedPaths(String value) {
    option("guardedPaths", value);
  }

  /** Option {@code guardedMethods}: the methods {@code guardedPaths} applies to. Default {@code PUT, PATCH, DELETE}. */
  public void setGuardedMethods(String value) {
    option("guardedMethods", value);
  }

  /** Option {@code acceptIfMatchAny}: whether {@code If-Match: *} satisfies the 428 policy. Default {@code true}. */
  public void setAcceptIfMatchAny(String value) {
    option("acceptIfMatchAny", value);
  }

  /** Option {@code missingPreconditionStatus}: 428 (default) or 403. */
  public void setMissingPreconditionStatus(String value) {
    option("missingPreconditionStatus", value);
  }

  /** Option {@code maxBufferSize}: the largest body held to compute its ETag. Default {@code 1MiB}. */
  public void setMaxBufferSize(String value) {
    option("maxBufferSize", value);
  }

  /** Option {@code permitTimeout}: the longest a write waits for its permit. Default {@code 10s}. */
  public void setPermitTimeout(String value) {
    option("permitTimeout", value);
  }

  /** Option {@code maxWaitersPerKey}: requests allowed to wait per resource. Default 256. */
  public void setMaxWaitersPerKey(String value) {
    option("maxWaitersPerKey", value);
  }

  /**
   * Option {@code readPermits}: whether GET and HEAD take a shared permit of their resource, so a
   * download never observes a write in progress. Default {@code false}.
   */
  public void setReadPermits(String value) {
    option("readPermits", value);
  }

  /**
   * Option {@code compressionMode}: {@code suffix}, {@code weaken} or {@code identity}, what a
   * strong tag becomes on an encoded (compressed) response. Default {@code suffix}.
   */
  public void setCompressionMode(String value) {
    option("compressionMode", value);
  }

  /** Option {@code validatorStoreSize}: resources whose validators are remembered. Default 100000. */
  public void setValidatorStoreSize(String value) {
    option("validatorStoreSize", value);
  }

  /** Option {@code keyQueryParameters}: query parameters that are part of a resource key. */
  public void setKeyQueryParameters(String value) {
    option("keyQueryParameters", value);
  }

  /**
   * Option {@code authoritativePaths}: paths whose every write passes through the guard, so a
   * conditional GET or HEAD of a resource the store knows is answered 304 or 412 from the store
   * without running the wrapped handler. Default none.
   */
  public void setAuthoritativePaths(String value) {
    option("authoritativePaths", value);
  }

  /**
   * Option {@code invalidationRules}: writes that change other resources too, e.g.
   * {@code /articles/{id} -> /articles}; their validators are dropped after such a write. Default none.
   */
  public void setInvalidationRules(String value) {
    option("invalidationRules", value);
  }

  /**
   * Option {@code retryRecognition}: whether a retry of a conditional write that already succeeded
   * is answered with that success instead of 412. Default {@code false} (see
   * {@link GuardSettings#retryRecognition()} for what it must see to recognize one).
   */
  public void setRetryRecognition(String value) {
    option("retryRecognition", value);
  }

  /**
   * Option {@code retryClientFields}: the request fields (comma-separated names) that tell one
   * client from another for {@code retryRecognition}. Default {@code Authorization,
   * Proxy-Authorization, Cookie, Idempotency-Key}.
   */
  public void setRetryClientFields(String value) {
    option("retryClientFields", value);
  }

  /**
   * Option {@code heuristicFreshness}: whether a response to which the guard adds Last-Modified,
   * and whose handler stated no freshness, may be reused by caches without revalidation; default
   * {@code false}, which adds {@code Cache-Control: no-cache} to it (see
   * {@link GuardSettings#heuristicFreshness()}).
   */
  public void setHeuristicFreshness(String value) {
    option("heuristicFreshness", value);
  }

  /**
   * Option {@code digestCacheSize}: the most bytes of recent bodies kept, the last per resource, so
   * an unchanged body's ETag is found by comparing bytes instead of hashing them ({@code 32MiB},
   * {@code 0} for none). Default 32 MiB.
   */
  public void setDigestCacheSize(String value) {
    option("digestCacheSize", value);
  }

  /**
   * Option {@code weakIfMatchPaths}: paths where If-Match uses weak comparison, for clients that
   * only have weak tags. Default none; logs a warning at start (see {@link GuardSettings#weakIfMatchPaths()}).
   */
  public void setWeakIfMatchPaths(String value) {
    option("weakIfMatchPaths", value);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Handler next = getHandler();
    GuardEngine e = engine;
    if (next == null) {
      return false;
    }
    if (e == null) {
      throw new IllegalStateException("ETagGuardHandler is not started");
    }
    if (request.getAttribute(GUARDED_ATTRIBUTE) != null) {
      return next.handle(request, response, callback);
    }
    Admission admission = e.admit(new CoreRequestView(request));
    if (admission.kind() == Admission.Kind.PASS) {
      return next.handle(request, response, callback);
    }
    request.setAttribute(GUARDED_ATTRIBUTE, Boolean.TRUE);
    Answer rejection = admission.rejection();
    if (rejection != null) {
      consumeOrClose(request, response);
      send(rejection, response, callback);
      return true;
    }
    if (admission.kind() == Admission.Kind.READ) {
      return admission.needsPermit()
          ? readWithPermit(next, admission, request, response, callback)
          : read(next, admission, request, response, callback);
    }
    new Write(next, admission, request, response, callback).start();
    return true;
  }

  /** The request's callback, completed once the admission (and its permit) is closed. */
  private static Callback releasing(Admission admission, Callback callback) {
    return new Callback() {
      @Override
      public void succeeded() {
        admission.close();
        callback.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        admission.close();
        callback.failed(x);
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
  }

  // ---------------------------------------------------------------- reads

  /**
   * Option readPermits: the read runs once its shared permit is granted, at once when nobody
   * writes the resource, else on the executor when the write ahead of it is done (no thread waits).
   */
  private boolean readWithPermit(Handler next, Admission admission, Request request, Response response,
      Callback callback) throws Exception {
    Callback done = releasing(admission, callback);
    // Abandoned requests (idle timeout, client gone) must not keep a permit or a place in line.
    Request.addCompletionListener(request, failure -> admission.close());
    CompletableFuture<Void> permit = admission.acquire();
    if (permit.isDone() && !permit.isCompletedExceptionally()) {
      boolean handled = false;
      try {
        handled = read(next, admission, request, response, done);
        return handled;
      } finally {
        if (!handled) {
          admission.close();
        }
      }
    }
    Executor executor = request.getComponents().getExecutor();
    permit.whenCompleteAsync((granted, failure) -> {
      if (failure != null) {
        admission.close();
        send(admission.unavailable(failure), response, done);
        return;
      }
      try {
        if (!read(next, admission, request, response, done)) {
          Response.writeError(request, response, done, 404);
        }
      } catch (Throwable x) {
        done.failed(x);
      }
    }, executor);
    return true;
  }

  /** Whether a security handler behind this one may refuse reads (see {@link #securedBehind(Handler)}). */
  private final SecurityWatch security = new SecurityWatch();

  /** Whether answers from the store are held back now: a security handler behind may refuse reads. */
  boolean securedBehind() {
    Handler next = getHandler();
    return next != null && security.securedBehind(next);
  }

  /**
   * {@link #securedBehind(Handler)}, looked up again whenever a handler is added below this one,
   * removed, started or stopped (a webapp deployed, its constraints configured as it starts):
   * an inherited listener hears of every handler below.
   */
  private static final class SecurityWatch implements org.eclipse.jetty.util.component.Container.InheritedListener,
      LifeCycle.Listener {
    private final AtomicLong changes = new AtomicLong();
    private volatile @Nullable Checked checked;

    /** A lookup and the count of changes it saw. */
    private record Checked(long changes, boolean secured) {
    }

    boolean securedBehind(Handler next) {
      long now = changes.get();
      Checked c = checked;
      if (c != null && c.changes() == now) {
        return c.secured();
      }
      boolean secured = ETagGuardHandler.securedBehind(next);
      checked = new Checked(now, secured);
      return secured;
    }

    private void changed() {
      changes.incrementAndGet();
    }

    @Override
    public void beanAdded(org.eclipse.jetty.util.component.Container parent, Object child) {
      changed();
    }

    @Override
    public void beanRemoved(org.eclipse.jetty.util.component.Container parent, Object child) {
      changed();
    }

    @Override
    public void lifeCycleStarted(LifeCycle event) {
      changed();
    }

    @Override
    public void lifeCycleStopped(LifeCycle event) {
      changed();
    }
  }

  /**
   * Whether a Jetty {@code SecurityHandler} that may refuse a GET is behind {@code next} (an ee
   * {@code ConstraintSecurityHandler} with a constraint mapping for GET or all methods that does not
   * allow everyone on any transport, or a security handler of another kind): it decides who may read,
   * after this handler, so the validator store must not answer first. The mappings of Jetty's
   * webdefault (TRACE forbidden, everything else allowed) restrict no read.
   */
  static boolean securedBehind(Handler next) {
    java.util.List<Handler> handlers = next instanceof Handler.Container c ? c.getDescendants() : java.util.List.of();
    if (isSecurity(next)) {
      return true;
    }
    for (Handler h : handlers) {
      if (isSecurity(h)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSecurity(Handler h) {
    for (Class<?> c = h.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals("org.eclipse.jetty.security.SecurityHandler")) {
        try {
          Object mappings = h.getClass().getMethod("getConstraintMappings").invoke(h);
          if (!(mappings instanceof java.util.Collection<?> list)) {
            return true;
          }
          for (Object mapping : list) {
            if (restrictsReads(mapping)) {
              return true;
            }
          }
          return false;
        } catch (ReflectiveOperationException | RuntimeException e) {
          return true; // a security handler of another kind: it may constrain anything
        }
      }
    }
    return false;
  }

  /** Whether an ee {@code ConstraintMapping} may refuse a GET or a HEAD. */
  private static boolean restrictsReads(Object mapping) throws ReflectiveOperationException {
    Class<?> type = mapping.getClass();
    String method = (String) type.getMethod("getMethod").invoke(mapping);
    String[] omissions = (String[]) type.getMethod("getMethodOmissions").invoke(mapping);
    if (!appliesTo(method, omissions, "GET") && !appliesTo(method, omissions, "HEAD")) {
      return false;
    }
    Object constraint = type.getMethod("getConstraint").invoke(mapping);
    if (constraint == null) {
      return false;
    }
    // The public type: an implementation class of Jetty's may not be accessible.
    Class<?> api = Class.forName("org.eclipse.jetty.security.Constraint", false, constraint.getClass().getClassLoader());
    Object authorization = api.getMethod("getAuthorization").invoke(constraint);
    Object transport = api.getMethod("getTransport").invoke(constraint);
    boolean allowed = authorization != null && "ALLOWED".equals(((Enum<?>) authorization).name());
    boolean anyTransport = transport == null || !"SECURE".equals(((Enum<?>) transport).name());
    return !(allowed && anyTransport);
  }

  private static boolean appliesTo(@Nullable String method, String @Nullable [] omissions, String read) {
    if (method != null && !method.equals("*")) {
      return method.equalsIgnoreCase(read);
    }
    return omissions == null || java.util.Arrays.stream(omissions).noneMatch(read::equalsIgnoreCase);
  }

  private boolean read(Handler next, Admission admission, Request request, Response response, Callback callback)
      throws Exception {
    boolean head = "HEAD".equals(request.getMethod());
    // Option authoritativePaths: never before Jetty's authentication and authorization, which run
    // behind this handler; where constraints are behind it, the handler answers.
    ReadDecision stored = !admission.storeMayAnswer() || security.securedBehind(next) ? null
        : admission.answerFromStore();
    if (stored != null) {
      // Option authoritativePaths: 304 or 412 on the stored validators; the handler does not run.
      apply(stored, request, response, null, head, callback);
      return true;
    }
    ReadDecision[] early = new ReadDecision[1];
    CapturingResponse capture = new CapturingResponse(request, response,
        admission.bodyBuffer(!head, admission.digestBody()), head, c -> {
          // The body outgrew the buffer: decide on the handler's own validators, then stream or answer.
          early[0] = admission.completeRead(c, null, -1);
          ReadDecision.Action action = early[0].action();
          if (action == ReadDecision.Action.FULL || action == ReadDecision.Action.PASS) {
            early[0].headers().forEach(response.getHeaders()::put);
            return true;
          }
          return false;
        });
    Callback done = new Callback() {
      @Override
      public void succeeded() {
        finish(callback);
      }

      @Override
      public void failed(Throwable x) {
        if (capture.completed()) {
          // The handler's response is complete and held: it goes out, then the failure, as it would
          // without the guard. Jetty's servlet layer fails every response the DefaultServlet writes
          // through the core response (it counts no bytes against the Content-Length it saw).
          finish(failingAfter(callback, x));
        } else {
          callback.failed(x);
        }
      }

      private void finish(Callback then) {
        try {
          finishRead(admission, request, response, capture, early[0], head, then);
        } catch (Throwable x) {
          then.failed(x);
        }
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
    java.util.Set<String> hidden = admission.hiddenFields();
    return next.handle(head || !hidden.isEmpty()
        ? GuardedRequest.reading(request, head, hidden)
        : request, capture, done);
  }

  /** A callback that fails {@code callback} with {@code failure} when it completes either way. */
  private static Callback failingAfter(Callback callback, Throwable failure) {
    return new Callback() {
      @Override
      public void succeeded() {
        callback.failed(failure);
      }

      @Override
      public void failed(Throwable x) {
        if (x != failure) {
          failure.addSuppressed(x);
        }
        callback.failed(failure);
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
  }

  private static void finishRead(Admission admission, Request request, Response response, CapturingResponse capture,
      @Nullable ReadDecision early, boolean head, Callback callback) {
    if (!capture.holding()) {
      if (early != null && capture.discarding() && early.action() != ReadDecision.Action.FULL
          && early.action() != ReadDecision.Action.PASS) {
        apply(early, request, response, null, head, callback);
      } else {
        capture.finishPassedOn(callback);
      }
      return;
    }
    BodyBuffer body = capture.body();
    EntityTag digest = body.finishDigest();
    ReadDecision decision = admission.completeRead(capture, digest, body.count());
    apply(decision, request, response, body, head, callback);
  }

  private static void apply(ReadDecision decision, Request request, Response response, @Nullable BodyBuffer body,
      boolean head, Callback callback) {
    switch (decision.action()) {
      case PASS, FULL -> {
        decision.headers().forEach(response.getHeaders()::put);
        writeHeld(response, body, 0, body == null ? 0 : body.count(), head, callback);
      }
      case PARTIAL -> {
        ByteRange range = decision.range();
        decision.headers().forEach(response.getHeaders()::put);
        response.setStatus(206);
        response.getHeaders().put(HttpHeader.CONTENT_RANGE, range.contentRange(body.count()));
        writeHeld(response, body, range.first(), range.length(), head, callback);
      }
      case NOT_MODIFIED -> {
        response.setStatus(304);
        decision.headers().forEach(response.getHeaders()::put);
        response.getHeaders().remove(HttpHeader.CONTENT_LENGTH);
        response.getHeaders().remove(HttpHeader.CONTENT_TYPE); // RFC 9110 15.4.5: no representation metadata
        // One write commits and completes it; the stream drops the length Jetty declares for it.
        request.addHttpStreamWrapper(stream -> new NotModifiedStream(stream, response));
        response.write(true, null, callback);
      }
      case REJECT -> {
        response.reset();
        send(decision.answer(), response, callback);
      }
    }
  }

  /**
   * The exchange's stream once the guard answers 304. Jetty declares the bytes written as the
   * length of a response committed by its last write, {@code Content-Length: 0} for a 304: a
   * length the 200 does not have (RFC 9110 8.6). This stream drops it as the response is
   * committed, so one write sends the 304 (committing first and completing after costs a second
   * pass through Jetty's send path).
   */
  private static final class NotModifiedStream extends HttpStream.Wrapper {
    private final Response response;

    NotModifiedStream(HttpStream wrapped, Response response) {
      super(wrapped);
      this.response = response;
    }

    @Override
    public void prepareResponse(HttpFields.Mutable headers) {
      if (response.getStatus() == 304) {
        headers.remove(HttpHeader.CONTENT_LENGTH);
        headers.remove(HttpHeader.CONTENT_TYPE);
      }
      super.prepareResponse(headers);
    }
  }

  private static void writeHeld(Response response, @Nullable BodyBuffer body, long from, long length, boolean head,
      Callback callback) {
    int status = response.getStatus();
    if (body == null || (length == 0 && (status == 204 || status == 304))) {
      response.write(true, null, callback);
      return;
    }
    if (!head || length > 0) {
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
    }
    response.write(true, head ? null : body.slice(from, length), callback);
  }

  /**
   * Before the guard answers a write itself (428, 400, 412, 503): consumes the request content
   * that has arrived, and when some has not, announces {@code Connection: close} (HTTP/1). Jetty
   * closes a connection whose request content is left unread when the exchange ends; without the
   * announcement a client could send its next request on a connection that is being closed.
   */
  private static void consumeOrClose(Request request, Response response) {
    if (!request.consumeAvailable() && request.getConnectionMetaData().getHttpVersion().getVersion() <= 11) {
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }
  }

  /** Writes one of the guard's own answers. */
  static void send(@Nullable Answer answer, Response response, Callback callback) {
    if (answer == null) {
      callback.succeeded();
      return;
    }
    response.setStatus(answer.status());
    answer.headers().forEach(response.getHeaders()::put);
    if (answer.problem() == null) {
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
      response.write(true, null, callback);
      return;
    }
    byte[] bytes = answer.body();
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  // ---------------------------------------------------------------- writes

  /** One write's passage: permit, current state, decision, the handler, new validators. */
  private static final class Write {
    private final Handler next;
    private final Admission admission;
    /** The client's request, then (once its content has arrived) the request serving that content. */
    private Request request;
    private final Response response;
    private final Callback callback;
    private final Executor executor;

    Write(Handler next, Admission admission, Request request, Response response, Callback callback) {
      this.next = next;
      this.admission = admission;
      this.request = request;
      this.response = response;
      // The request's callback, completed once: after the permit is released.
      this.callback = new Callback() {
        @Override
        public void succeeded() {
          admission.close();
          callback.succeeded();
        }

        @Override
        public void failed(Throwable x) {
          admission.close();
          callback.failed(x);
        }

        @Override
        public InvocationType getInvocationType() {
          return callback.getInvocationType();
        }
      };
      this.executor = request.getComponents().getExecutor();
    }

    void start() {
      // Abandoned requests (idle timeout, client gone) must not keep a permit or a place in line.
      Request.addCompletionListener(request, failure -> admission.close());
      if (request.getLength() == 0 || request.getHeaders().contains(HttpHeader.EXPECT)) {
        // No content, or a client that waits to hear first (Expect: 100-continue): a refusal
        // comes before any content, which the handler then reads.
        acquire();
        return;
      }
      // The content arrives before the permit is taken: a slow client holds no permit while it
      // sends. Read with demand callbacks (no thread waits), spooled to a file beyond 64 KiB.
      SpooledRequest.spool(request, spooled -> {
        request = spooled;
        acquire();
      }, this::contentFailed);
    }

    /** The content could not be received: no permit was taken; 400 (or the failure's 4xx). */
    private void contentFailed(Throwable failure) {
      Answer incomplete = admission.incompleteContent();
      admission.close();
      if (response.isCommitted()) {
        callback.failed(failure);
        return;
      }
      // The storage failed: not the client's fault (500). Jetty's own 4xx (e.g. 413) stands; else 400.
      int status = failure instanceof SpooledRequest.StorageFailure ? 500
          : failure instanceof org.eclipse.jetty.http.HttpException http && http.getCode() > 400
              && http.getCode() < 500 ? http.getCode() : 400;
      if (status != 400) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        response.write(true, null, callback);
        return;
      }
      send(incomplete, response, callback);
    }

    private void acquire() {
      admission.acquire().whenCompleteAsync((granted, failure) -> {
        if (failure != null) {
          admission.close();
          consumeOrClose(request, response);
          send(admission.unavailable(failure), response, callback);
          return;
        }
        guard(this::checkState);
      }, executor);
    }

    private void guard(Runnable step) {
      try {
        step.run();
      } catch (Throwable x) {
        callback.failed(x);
      }
    }

    private void checkState() {
      if (!admission.needsCurrentState()) {
        decide();
        return;
      }
      internalGet(got -> {
        admission.learnCurrentState(got, got.complete() ? got.body().finishDigest() : null,
            got.complete() ? got.body().count() : -1);
        decide();
      });
    }

    private void decide() {
      // Runs on the executor (never on a selector thread), so reading the content of a possible
      // retry blocking is allowed here.
      Answer refusal = admission.decide(() -> Content.Source.asInputStream(request));
      if (refusal != null) {
        consumeOrClose(request, response);
        send(refusal, response, callback);
        return;
      }
      admission.fencingToken().ifPresent(token -> request.setAttribute(Admission.FENCING_TOKEN_ATTRIBUTE, token));
      GuardedRequest handlerRequest = admission.digestsContent()
          ? GuardedRequest.digesting(request, admission.generator().start())
          : null;
      CapturingResponse capture = new CapturingResponse(request, response, admission.bodyBuffer(true, false), false,
          c -> true);
      Callback done = new Callback() {
        @Override
        public void succeeded() {
          // Off the handler's completing thread: the internal GET may run a whole request.
          executor.execute(() -> guard(() -> afterHandler(capture, handlerRequest)));
        }

        @Override
        public void failed(Throwable x) {
          callback.failed(x);
        }
      };
      try {
        if (!next.handle(handlerRequest != null ? handlerRequest : request, capture, done)) {
          Response.writeError(request, response, callback, 404);
        }
      } catch (Throwable x) {
        callback.failed(x);
      }
    }

    private void afterHandler(CapturingResponse capture, @Nullable GuardedRequest handlerRequest) {
      EntityTag sent = handlerRequest == null ? null : handlerRequest.bodyTag();
      long sentLength = handlerRequest == null ? -1 : handlerRequest.bodyLength();
      if (capture.holding() && admission.completeWrite(capture, sent, sentLength)) {
        internalGet(got -> {
          Map<String, String> headers = admission.learnAfterWrite(got,
              got.complete() ? got.body().finishDigest() : null, got.complete() ? got.body().count() : -1, sent);
          finish(capture, headers);
        });
        return;
      }
      if (!capture.holding()) {
        admission.completeWrite(capture, sent, sentLength);
      }
      finish(capture, Map.of());
    }

    private void finish(CapturingResponse capture, Map<String, String> headers) {
      Answer failure = admission.commitFailure();
      if (failure != null && capture.holding() && !response.isCommitted()) {
        response.reset();
        send(failure, response, callback);
        return;
      }
      if (!capture.holding()) {
        capture.finishPassedOn(callback);
        return;
      }
      headers.forEach(response.getHeaders()::put);
      BodyBuffer body = capture.body();
      writeHeld(response, body, 0, body.count(), false, callback);
    }

    /** Runs a GET of the same resource through the wrapped handler, detached from the client. */
    private void internalGet(java.util.function.Consumer<DetachedResponse> then) {
      GuardedRequest get = GuardedRequest.internalGet(request, admission.keyParameters());
      DetachedResponse detached = new DetachedResponse(get, response, admission.bodyBuffer(false, true));
      Callback got = new Callback() {
        @Override
        public void succeeded() {
          executor.execute(() -> guard(() -> then.accept(detached)));
        }

        @Override
        public void failed(Throwable x) {
          // A complete response stands (see read): Jetty's servlet layer fails the DefaultServlet's.
          if (!detached.hasLastWrite()) {
            detached.failed();
          }
          executor.execute(() -> guard(() -> then.accept(detached)));
        }
      };
      try {
        if (!next.handle(get, detached, got)) {
          detached.setStatus(404);
          got.succeeded();
        }
      } catch (Throwable x) {
        got.failed(x);
      }
    }
  }
}
