package dev.etagguard.jetty;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

import dev.etagguard.Admission;
import dev.etagguard.Answer;
import dev.etagguard.BodyBuffer;
import dev.etagguard.Exchange;
import dev.etagguard.GuardEngine;
import dev.etagguard.GuardSettings;
import dev.etagguard.Problem;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResponseView;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
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
    Exchange exchange = Exchange.admit(e, new CoreRequestView(request));
    if (exchange == null) {
      return next.handle(request, response, callback);
    }
    request.setAttribute(GUARDED_ATTRIBUTE, Boolean.TRUE);
    if (exchange.holdsPermit()) {
      // Abandoned requests (idle timeout, client gone) must not keep a permit or a place in line.
      Request.addCompletionListener(request, failure -> exchange.close());
    }
    Host host = new Host(next, request, response, callback);
    exchange.run(host).whenComplete(host::completed);
    return host.handled();
  }

  /** Whether a security handler behind this one may refuse reads (see {@link #securedBehind(Handler)}). */
  private final SecurityWatch security = new SecurityWatch();

  /** Whether answers from the store are held back now: a security handler behind may refuse reads. */
  boolean securedBehind() {
    Handler next = getHandler();
    return next != null && security.securedBehind(next);
  }

  /**
   * Whether a Jetty {@code SecurityHandler} that may refuse a GET is behind {@code next}: it
   * decides who may read, after this handler, so the validator store must not answer first (see
   * {@link SecurityWatch#lookup(Handler)}).
   */
  static boolean securedBehind(Handler next) {
    return SecurityWatch.lookup(next);
  }

  /**
   * One request's host: the flow's steps in Jetty's terms. Nothing blocks: the flow continues in
   * the callbacks of the handler, the content and the permit, on the server's executor.
   */
  private final class Host implements Exchange.Host {
    private final Handler next;
    /** The client's request, then (once a write's content has arrived) the request serving that content. */
    private Request request;
    private final Response response;
    private final Callback callback;
    private final Executor executor;
    private final boolean head;
    /** The thread in {@link #handle}, while it runs the flow: a handler that does not handle the request then says so. */
    private volatile @Nullable Thread handling = Thread.currentThread();
    private boolean notHandled;
    private @Nullable ReadDecision early;

    Host(Handler next, Request request, Response response, Callback callback) {
      this.next = next;
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.executor = request.getComponents().getExecutor();
      this.head = "HEAD".equals(request.getMethod());
    }

    /** Whether {@link #handle} handled the request: not when the wrapped handler declined it on the handle thread. */
    boolean handled() {
      handling = null;
      return !notHandled;
    }

    /** The exchange is over, its permit released: the request's callback completes. */
    void completed(@Nullable Void v, @Nullable Throwable failure) {
      if (notHandled) {
        return; // the server answers the request it was told was not handled
      }
      if (failure == null) {
        callback.succeeded();
      } else {
        callback.failed(failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure);
      }
    }

    /** A callback that completes a stage of the flow, of the request's invocation type. */
    private Callback into(CompletableFuture<Void> stage) {
      return Callback.from(callback.getInvocationType(), () -> stage.complete(null), stage::completeExceptionally);
    }

    /** The wrapped handler did not handle the request: on the handle thread, the server says 404; later, the host. */
    private void declined(CompletableFuture<Exchange.Captured> result, CapturingResponse capture) {
      if (handling == Thread.currentThread()) {
        notHandled = true;
        result.complete(capture.notHandled());
        return;
      }
      Response.writeError(request, response, Callback.from(callback.getInvocationType(),
          () -> result.complete(capture.notHandled()), result::completeExceptionally), 404);
    }

    @Override
    public <T> CompletionStage<T> await(CompletableFuture<T> permit) {
      if (permit.isDone()) {
        return permit; // uncontended: at once, on this thread
      }
      return permit.whenCompleteAsync((granted, failure) -> { }, executor);
    }

    @Override
    public boolean securedBehind() {
      // Option authoritativePaths: never before Jetty's authentication and authorization, which run
      // behind this handler; where constraints are behind it, the handler answers.
      return security.securedBehind(next);
    }

    @Override
    public CompletionStage<Void> receiveContent() {
      if (request.getLength() == 0 || request.getHeaders().contains(HttpHeader.EXPECT)) {
        // No content, or a client that waits to hear first (Expect: 100-continue): a refusal
        // comes before any content, which the handler then reads.
        return CompletableFuture.completedFuture(null);
      }
      // Read with demand callbacks (no thread waits), spooled to a file beyond 64 KiB.
      CompletableFuture<Void> received = new CompletableFuture<>();
      SpooledRequest.spool(request, spooled -> {
        request = spooled;
        executor.execute(() -> received.complete(null));
      }, received::completeExceptionally);
      return received;
    }

    @Override
    public CompletionStage<Void> contentFailed(Answer incomplete, Throwable failure) {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      if (response.isCommitted()) {
        return CompletableFuture.failedFuture(failure);
      }
      // The storage failed: not the client's fault (500). Jetty's own 4xx (e.g. 413) stands; else 400.
      int status = failure instanceof SpooledRequest.StorageFailure ? 500
          : failure instanceof org.eclipse.jetty.http.HttpException http && http.getCode() > 400
              && http.getCode() < 500 ? http.getCode() : 400;
      if (status == 400) {
        send(incomplete, response, into(sent));
        return sent;
      }
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
      response.write(true, null, into(sent));
      return sent;
    }

    @Override
    public InputStream content() {
      // Runs on the executor (never on a selector thread), so reading the content of a possible
      // retry blocking is allowed here.
      return Content.Source.asInputStream(request);
    }

    @Override
    public CompletionStage<Void> answer(Answer answer) {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      consumeOrClose(request, response);
      send(answer, response, into(sent));
      return sent;
    }

    @Override
    public CompletionStage<Exchange.Captured> read(Set<String> hiddenFields, BodyBuffer body,
        Function<ResponseView, ReadDecision> spill) {
      CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
      CapturingResponse capture = new CapturingResponse(request, response, body, head, c -> {
        // The body outgrew the buffer: decide on the handler's own validators, then stream or answer.
        ReadDecision decision = spill.apply(c);
        early = decision;
        if (decision.action() == ReadDecision.Action.FULL || decision.action() == ReadDecision.Action.PASS) {
          decision.headers().forEach(response.getHeaders()::put);
          return true;
        }
        return false;
      });
      Callback done = new Callback() {
        @Override
        public void succeeded() {
          result.complete(capture);
        }

        @Override
        public void failed(Throwable x) {
          if (capture.completed()) {
            // The handler's response is complete and held: it goes out, then the failure, as it would
            // without the guard. Jetty's servlet layer fails every response the DefaultServlet writes
            // through the core response (it counts no bytes against the Content-Length it saw).
            result.complete(capture.failedAfter(x));
          } else {
            result.completeExceptionally(x);
          }
        }

        @Override
        public InvocationType getInvocationType() {
          return callback.getInvocationType();
        }
      };
      try {
        if (!next.handle(head || !hiddenFields.isEmpty() ? GuardedRequest.reading(request, head, hiddenFields) : request,
            capture, done)) {
          declined(result, capture);
        }
      } catch (Throwable x) {
        result.completeExceptionally(x);
      }
      return result;
    }

    @Override
    public CompletionStage<Void> sendRead(ReadDecision decision, Exchange.@Nullable Captured captured) {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      apply(decision, request, response, captured == null ? null : ((CapturingResponse) captured).body(), head,
          into(sent));
      return sent;
    }

    @Override
    public CompletionStage<Void> finishStreamed(Exchange.Captured captured) {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      CapturingResponse capture = (CapturingResponse) captured;
      ReadDecision decided = early;
      if (decided != null && capture.discarding() && decided.action() != ReadDecision.Action.FULL
          && decided.action() != ReadDecision.Action.PASS) {
        apply(decided, request, response, null, head, into(sent));
      } else {
        capture.finishPassedOn(into(sent));
      }
      return sent;
    }

    @Override
    public CompletionStage<Exchange.Captured> write(BodyBuffer body, EntityTagGenerator.@Nullable Digest contentDigest,
        OptionalLong fencingToken) {
      fencingToken.ifPresent(token -> request.setAttribute(Admission.FENCING_TOKEN_ATTRIBUTE, token));
      GuardedRequest handlerRequest = contentDigest != null ? GuardedRequest.digesting(request, contentDigest) : null;
      CapturingResponse capture = new CapturingResponse(request, response, body, false, c -> true);
      CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
      Callback done = new Callback() {
        @Override
        public void succeeded() {
          // Off the handler's completing thread: the internal GET may run a whole request.
          executor.execute(() -> result.complete(handlerRequest == null ? capture
              : capture.content(handlerRequest.bodyTag(), handlerRequest.bodyLength())));
        }

        @Override
        public void failed(Throwable x) {
          result.completeExceptionally(x);
        }
      };
      try {
        if (!next.handle(handlerRequest != null ? handlerRequest : request, capture, done)) {
          handling = null; // a write's refusal always comes from the guard
          declined(result, capture);
        }
      } catch (Throwable x) {
        result.completeExceptionally(x);
      }
      return result;
    }

    @Override
    public CompletionStage<Void> sendWrite(Exchange.Captured captured, Map<String, String> fields,
        @Nullable Answer failure) {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      CapturingResponse capture = (CapturingResponse) captured;
      if (failure != null && capture.holding() && !response.isCommitted()) {
        response.reset();
        send(failure, response, into(sent));
      } else if (!capture.holding()) {
        capture.finishPassedOn(into(sent));
      } else {
        fields.forEach(response.getHeaders()::put);
        BodyBuffer held = capture.body();
        writeHeld(response, held, 0, held.count(), false, into(sent));
      }
      return sent;
    }

    /** Runs a GET of the same resource through the wrapped handler, detached from the client. */
    @Override
    public CompletionStage<Exchange.Captured> internalGet(Set<String> keyParameters, BodyBuffer body) {
      GuardedRequest get = GuardedRequest.internalGet(request, keyParameters);
      DetachedResponse detached = new DetachedResponse(get, response, body);
      CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
      Callback got = new Callback() {
        @Override
        public void succeeded() {
          executor.execute(() -> result.complete(detached));
        }

        @Override
        public void failed(Throwable x) {
          // A complete response stands (see read): Jetty's servlet layer fails the DefaultServlet's.
          if (!detached.hasLastWrite()) {
            detached.failed();
          }
          executor.execute(() -> result.complete(detached));
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
      return result;
    }
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

}
