package dev.etagguard.servlet;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;

import dev.etagguard.Admission;
import dev.etagguard.Answer;
import dev.etagguard.GuardEngine;
import dev.etagguard.Problem;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;
import dev.etagguard.http.EntityTag;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * The Servlet-API side of the guard, written once and shared by every Servlet-based door: the
 * {@link ETagGuardFilter} (the next step is the rest of the filter chain) and the Tomcat valve
 * (the next step is the rest of the container pipeline, the wrappers installed with the connector
 * request's {@code setRequest} / {@code setResponse}). It drives one {@link Admission} per
 * request: the handler runs into a capturing response (HEAD as GET), a write (and, with the option
 * {@code readPermits}, a read) waits for its resource's permit, and the current validators of a
 * resource the store does not know are learned by an internal GET, a {@code RequestDispatcher}
 * forward to the request's own path whose response never reaches the client.
 *
 * <p>Only REQUEST dispatches are guarded, each once: the request attribute
 * {@link #GUARDED_ATTRIBUTE} marks a request taken, and any later guard (a filter behind a valve,
 * a second filter) passes it through. Forwards, includes, error and async dispatches inside a
 * guarded request pass through too, so nothing waits for a permit the request already holds. The
 * permit is released when the handler returns, or, when it starts async processing, by an
 * {@code AsyncListener} on completion, error or timeout.
 *
 * <p>Thread-safe: one instance serves all requests of its engine.
 *
 * @since 0.1
 */
public final class ServletGuard {

  /** Request attribute set on every request the guard has taken: its presence makes later guards pass. */
  public static final String GUARDED_ATTRIBUTE = "dev.etagguard.guarded";

  /**
   * Request attribute a handler may set to {@code Boolean.TRUE} before writing to have its
   * response streamed untouched (no generated ETag), e.g. for long-running streams.
   */
  public static final String STREAMING_ATTRIBUTE = "dev.etagguard.streaming";

  /** The most ASYNC dispatches one internal GET runs before it gives up on its handler. */
  private static final int MAX_INTERNAL_DISPATCHES = 16;

  /** Request attribute naming the {@link HeldRead} of a read whose handler went async. */
  private static final String HELD_READ_ATTRIBUTE = "dev.etagguard.heldRead";

  private static final System.Logger LOG = System.getLogger(ServletGuard.class.getName());

  private static final BooleanSupplier NEVER = () -> false;

  /** The most request content read and dropped after the guard answered a write itself. */
  private static final int DISCARD_LIMIT = 64 * 1024;

  /**
   * The rest of the request's processing behind the guard: the filter chain, or the container's
   * next valve.
   *
   * @since 0.1
   */
  @FunctionalInterface
  public interface Chain {
    /**
     * Runs the handler with the request and response it should see (the guard's wrappers).
     *
     * @param request the request to hand on
     * @param response the response to hand on
     */
    void proceed(HttpServletRequest request, HttpServletResponse response) throws IOException, ServletException;
  }

  private final GuardEngine engine;

  private final boolean inPipeline;

  /**
   * Whether an ASYNC dispatch of a held read has reached this guard: until then the guard does
   * not know it is mapped for ASYNC dispatches, and a read whose handler dispatches streams.
   */
  private volatile boolean asyncDispatchesSeen;

  /** A guard driven by the given engine. */
  public ServletGuard(GuardEngine engine) {
    this(engine, false);
  }

  /**
   * A guard driven by the given engine, for a host in the container's own pipeline.
   *
   * @param engine the engine
   * @param inPipeline {@code true} for a host that installs the guard's wrappers as the
   *     container's request and response (a Tomcat valve): they then wrap the container's response
   *     directly, as Tomcat requires, and the host itself undoes the suspension Tomcat applies
   *     after a handler's own forward ({@code suspendWrappedResponseAfterForward}); {@code false}
   *     for a filter, whose wrapper keeps Tomcat from finding the response to suspend
   * @since 0.3
   */
  public ServletGuard(GuardEngine engine, boolean inPipeline) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.inPipeline = inPipeline;
  }

  /** The engine. */
  public GuardEngine engine() {
    return engine;
  }

  /**
   * Guards one request: answers it from the guard, or runs {@code next} (once) with the guard's
   * wrappers, then completes the response.
   *
   * @param request the request as the container gives it
   * @param response the response as the container gives it
   * @param next the handler
   */
  public void handle(HttpServletRequest request, HttpServletResponse response, Chain next)
      throws IOException, ServletException {
    handle(request, response, next, NEVER);
  }

  /**
   * Guards one request, as {@link #handle(HttpServletRequest, HttpServletResponse, Chain)}, for a
   * host whose error handling runs inside {@code next}. A container valve sees the container's
   * own error processing (an exception caught below it, a {@code sendError}, and the error page
   * rendered through the application's request and response) within {@code next}; from the moment
   * {@code containerError} turns true the guard's response wrapper passes everything through
   * untouched, and the guard neither decides nor writes anything for that request.
   *
   * @param request the request as the container gives it
   * @param response the response as the container gives it
   * @param next the handler
   * @param containerError whether the container has put the response into its error state
   */
  public void handle(HttpServletRequest request, HttpServletResponse response, Chain next,
      BooleanSupplier containerError) throws IOException, ServletException {
    if (request.getDispatcherType() == DispatcherType.ASYNC) {
      asyncDispatch(request, response, next);
      return;
    }
    if (request.getDispatcherType() != DispatcherType.REQUEST || request.getAttribute(GUARDED_ATTRIBUTE) != null) {
      next.proceed(request, response);
      return;
    }
    Admission admission = engine.admit(new ServletRequestView(request));
    if (admission.kind() == Admission.Kind.PASS) {
      next.proceed(request, response);
      return;
    }
    request.setAttribute(GUARDED_ATTRIBUTE, Boolean.TRUE);
    if (admission.rejection() != null) {
      send(response, admission.rejection());
      discardContent(request, response);
      return;
    }
    if (admission.kind() == Admission.Kind.READ) {
      read(admission, request, response, next, containerError);
    } else {
      write(admission, request, response, next, containerError);
    }
  }

  /**
   * Runs an ASYNC dispatch (the result of a handler's {@code AsyncContext.dispatch}): when it
   * renders the result of a read whose body the guard holds, the read ends when the dispatch
   * returns without starting another cycle. For a host that knows a dispatch is an ASYNC one
   * where the request does not say so (Tomcat's pipeline).
   *
   * @param request the request as the container gives it
   * @param response the response as the container gives it
   * @param next the rest of the dispatch
   */
  public void asyncDispatch(HttpServletRequest request, HttpServletResponse response, Chain next)
      throws IOException, ServletException {
    if (!(request.getAttribute(HELD_READ_ATTRIBUTE) instanceof HeldRead held)) {
      next.proceed(request, response);
      return;
    }
    asyncDispatchesSeen = true;
    held.capture.claimed();
    next.proceed(request, response);
    if (!request.isAsyncStarted()) {
      held.finish();
    }
  }

  // ---------------------------------------------------------------- reads

  private void read(Admission admission, HttpServletRequest request, HttpServletResponse response, Chain next,
      BooleanSupplier containerError) throws IOException, ServletException {
    if (!admission.needsPermit()) {
      runRead(admission, request, response, next, containerError);
      return;
    }
    // Option readPermits: the handler reads while no write to the resource runs.
    if (!acquired(admission, response)) {
      return;
    }
    boolean async = false;
    try {
      runRead(admission, request, response, next, containerError);
      async = request.isAsyncStarted();
    } finally {
      if (!async) {
        admission.close();
      }
    }
  }

  private void runRead(Admission admission, HttpServletRequest request, HttpServletResponse response,
      Chain next, BooleanSupplier containerError) throws IOException, ServletException {
    ReadDecision stored = admission.answerFromStore();
    if (stored != null) {
      // Option authoritativePaths: 304 or 412 on the stored validators; the handler does not run.
      applyEarly(stored, response, true);
      return;
    }
    HeldRead held = new HeldRead(admission, request, response, containerError);
    GuardedRequest guarded = GuardedRequest.forHandler(request, held.capture, held.head, held::started, null)
        .hiding(admission.hiddenFields());
    next.proceed(guarded, held.capture);
    if (!request.isAsyncStarted()) {
      held.finish();
    }
  }

  /**
   * A read whose body the guard holds until the handler is done with it: when the handler
   * returns, or, when it goes async, when it completes its {@code AsyncContext} or the ASYNC
   * dispatch that renders its result returns without starting another cycle (Spring MVC's
   * {@code DeferredResult}, {@code Callable}, {@code CompletableFuture}, ...).
   */
  private final class HeldRead {
    final Admission admission;
    final HttpServletRequest request;
    final HttpServletResponse response;
    final boolean head;
    final CapturingResponse capture;
    private ReadDecision.@Nullable Action early;
    private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

    HeldRead(Admission admission, HttpServletRequest request, HttpServletResponse response,
        BooleanSupplier containerError) {
      this.admission = admission;
      this.request = request;
      this.response = response;
      this.head = "HEAD".equals(request.getMethod());
      this.capture = new CapturingResponse(shielded(response), admission.bodyBuffer(!head, admission.digestBody()), c -> {
            // The body outgrew the buffer: decide on the handler's own validators, then stream.
            ReadDecision decision = admission.completeRead(new ServletResponseView(c), null, -1);
            early = decision.action();
            return applyEarly(decision, response, head);
          }, containerError);
    }

    /** The handler went async: the body stays held, the handler's context tells this read of its end. */
    AsyncContext started(AsyncContext context) {
      if (admission.needsPermit()) {
        context.addListener(new PermitRelease(admission::close));
      }
      request.setAttribute(HELD_READ_ATTRIBUTE, this);
      return new HeldAsyncContext(context, this);
    }

    /**
     * The handler dispatches its result. Bytes it wrote before stay held only when this guard is
     * known to see ASYNC dispatches (a filter mapped for REQUEST only never sees this one end);
     * what the dispatch writes stays held only when the guard claims it.
     */
    void dispatching() throws IOException {
      capture.flushWriter();
      if (!asyncDispatchesSeen && capture.capture().count() > 0) {
        capture.passThrough();
      } else {
        capture.awaitClaim();
      }
    }

    /** The handler is done: decide and send, once. */
    void finish() throws IOException {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      request.removeAttribute(HELD_READ_ATTRIBUTE);
      if (capture.containerOwned()) {
        return;
      }
      capture.flushWriter();
      CaptureStream body = capture.capture();
      if (!body.complete()) {
        // Decided at the spill, body streamed or discarded. A HEAD sent nothing yet: it declares the
        // length a GET would have (RFC 9110 8.6), else the container would declare none, or 0.
        if (head && (early == ReadDecision.Action.FULL || early == ReadDecision.Action.PASS)
            && !response.isCommitted()) {
          response.setContentLengthLong(capture.declaredLength() >= 0 ? capture.declaredLength() : body.count());
        }
        return;
      }
      if (response.isCommitted()) {
        return; // the container answered meanwhile (an async timeout or error)
      }
      sendRead(admission, request, response, capture, body, head);
    }
  }

  private static void sendRead(Admission admission, HttpServletRequest request, HttpServletResponse response,
      CapturingResponse capture, CaptureStream body, boolean head) throws IOException {
    if (request.getAttribute(STREAMING_ATTRIBUTE) != null) {
      writeHeld(response, body, null, head, capture.declaredLength());
      return;
    }
    EntityTag digest = body.finishDigest();
    ReadDecision decision = admission.completeRead(new ServletResponseView(response), digest, body.count());
    switch (decision.action()) {
      case PASS -> writeHeld(response, body, null, head, capture.declaredLength());
      case FULL -> {
        setHeaders(response, decision.headers());
        writeHeld(response, body, null, head, -1);
      }
      case PARTIAL -> {
        ByteRange range = Objects.requireNonNull(decision.range());
        setHeaders(response, decision.headers());
        response.setStatus(206);
        response.setHeader("Content-Range", range.contentRange(body.count()));
        writeHeld(response, body, range, head, -1);
      }
      case NOT_MODIFIED -> notModified(response, decision.headers());
      case REJECT -> {
        response.reset();
        send(response, decision.answer());
      }
    }
  }

  /** At the spill: apply a decision made on the handler's own validators; true to stream the body. */
  private static boolean applyEarly(ReadDecision decision, HttpServletResponse response, boolean head)
      throws IOException {
    switch (decision.action()) {
      case NOT_MODIFIED -> {
        notModified(response, decision.headers());
        return false;
      }
      case REJECT -> {
        response.reset();
        send(response, decision.answer());
        return false;
      }
      default -> {
        setHeaders(response, decision.headers());
        return !head;
      }
    }
  }

  /**
   * A 304 with the decision's fields, committed at once: a container that completes an
   * uncommitted response without a length declares the bytes written (Jetty: {@code
   * Content-Length: 0}), which in a 304 would be a length the 200 does not have (RFC 9110 8.6).
   * The handler's Content-Type goes: a 304 carries no representation metadata beyond the fields
   * RFC 9110 15.4.5 lists (Tomcat's connector drops it itself, Jetty does not).
   */
  private static void notModified(HttpServletResponse response, Map<String, String> headers) throws IOException {
    response.setStatus(304);
    response.setContentType(null);
    setHeaders(response, headers);
    response.flushBuffer();
  }

  /** Writes the held body (or a range of it) to the real response, with its length. */
  private static void writeHeld(HttpServletResponse response, CaptureStream body, @Nullable ByteRange range,
      boolean head, long declaredLength) throws IOException {
    long count = body.count();
    if (range == null) {
      if (declaredLength >= 0 && count == 0) {
        response.setContentLengthLong(declaredLength); // e.g. a HEAD answered by the handler with a length
      } else if (count > 0 || response.getStatus() != 204 && response.getStatus() != 304) {
        response.setContentLengthLong(count);
      }
      if (!head && count > 0) {
        ServletOutputStream out = response.getOutputStream();
        out.write(body.buffer(), 0, (int) count);
      }
    } else {
      response.setContentLengthLong(range.length());
      if (!head) {
        response.getOutputStream().write(body.buffer(), (int) range.first(), (int) range.length());
      }
    }
  }

  // ---------------------------------------------------------------- writes

  private HttpServletResponse shielded(HttpServletResponse response) {
    return inPipeline ? response : ForwardShield.around(response);
  }

  private void write(Admission admission, HttpServletRequest request, HttpServletResponse response, Chain next,
      BooleanSupplier containerError) throws IOException, ServletException {
    // The content arrives before the permit is asked for: a client that sends slowly delays
    // only itself, never the other writers of its resource.
    SpooledContent content;
    try {
      content = SpooledContent.receive(request);
    } catch (IOException e) {
      admission.close();
      LOG.log(Level.DEBUG, () -> "Request content of " + admission.key() + " not received", e);
      try {
        send(response, admission.incompleteContent());
      } catch (IOException | IllegalStateException gone) {
        // The client is gone: nobody to answer.
      }
      return;
    }
    boolean async = false;
    try {
      write(admission, request, response, next, containerError, content);
      async = request.isAsyncStarted();
    } finally {
      if (content != null && !async) {
        content.close();
      }
    }
  }

  private void write(Admission admission, HttpServletRequest request, HttpServletResponse response, Chain next,
      BooleanSupplier containerError, @Nullable SpooledContent content) throws IOException, ServletException {
    if (!acquired(admission, response)) {
      discardContent(request, response);
      return;
    }
    boolean async = false;
    try {
      if (admission.needsCurrentState()) {
        DetachedResponse current = internalGet(admission, request);
        CaptureStream body = current.capture();
        admission.learnCurrentState(current, body.finishDigest(), body.complete() ? body.count() : -1);
      }
      Answer refusal = admission.decide(content != null ? content::open : request::getInputStream);
      if (refusal != null) {
        send(response, refusal);
        admission.close(); // not held while the content is discarded
        discardContent(request, response);
        return;
      }
      admission.fencingToken().ifPresent(token -> request.setAttribute(Admission.FENCING_TOKEN_ATTRIBUTE, token));
      boolean digest = admission.digestsContent();
      CapturingResponse capture = new CapturingResponse(shielded(response), admission.bodyBuffer(true, false), c -> true,
          containerError);
      GuardedRequest guarded = GuardedRequest.forHandler(request, capture, false, context -> {
        // A write that goes async streams its response; its permit is held until the end.
        capture.passThrough();
        context.addListener(new PermitRelease(admission::close));
        if (content != null) {
          context.addListener(new PermitRelease(content::close));
        }
        return context;
      }, digest ? admission.generator().start() : null).reading(content);
      next.proceed(guarded, capture);
      if (request.isAsyncStarted()) {
        async = true;
        return;
      }
      if (capture.containerOwned()) {
        return; // the container answers (error page); close() forgets the validators
      }
      capture.flushWriter();
      CaptureStream body = capture.capture();
      Map<String, String> headers = Map.of();
      EntityTag sent = guarded.bodyTag();
      if (admission.completeWrite(new ServletResponseView(response), sent, guarded.bodyLength())) {
        DetachedResponse after = internalGet(admission, request);
        CaptureStream got = after.capture();
        headers = admission.learnAfterWrite(after, got.finishDigest(), got.complete() ? got.count() : -1, sent);
      }
      Answer failure = admission.commitFailure();
      if (failure != null && body.complete() && !response.isCommitted()) {
        response.reset();
        send(response, failure);
        return;
      }
      if (body.complete()) {
        setHeaders(response, headers);
        writeHeld(response, body, null, false, capture.declaredLength());
      }
    } finally {
      if (!async) {
        admission.close();
      }
    }
  }

  /**
   * Waits (at most {@code permitTimeout}) for the request's permit; when it is not granted,
   * answers 503 and returns {@code false}.
   */
  private static boolean acquired(Admission admission, HttpServletResponse response) throws IOException {
    try {
      admission.acquire().join();
      return true;
    } catch (CompletionException | CancellationException failure) {
      admission.close();
      send(response, admission.unavailable(failure));
      return false;
    }
  }

  /**
   * Runs a GET of the request's resource through the application, detached from the client. A
   * handler that goes async gets an {@link InternalAsync} of its own: this thread waits for its
   * dispatch or completion (bounded by its timeout) and runs each dispatch as one more forward.
   */
  private static DetachedResponse internalGet(Admission admission, HttpServletRequest request) throws IOException {
    DetachedResponse detached = new DetachedResponse(admission.bodyBuffer(false, true));
    GuardedRequest internal = GuardedRequest.internalGet(request, admission.keyParameters());
    internal.internalResponse(detached);
    String path = ServletRequestView.pathInContext(request);
    InternalAsync async = null;
    try {
      for (int dispatches = 0; ; dispatches++) {
        if (dispatches > MAX_INTERNAL_DISPATCHES) {
          detached.setStatus(500); // a handler that never finishes: the state stays unknown
          return detached;
        }
        RequestDispatcher dispatcher = request.getRequestDispatcher(path);
        if (dispatcher == null) {
          detached.setStatus(500);
          return detached;
        }
        dispatcher.forward(internal, detached);
        async = internal.startedInternalAsync();
        if (async == null) {
          return detached;
        }
        InternalAsync.Step step = async.awaitNext();
        if (step != InternalAsync.Step.DISPATCH) {
          if (step == InternalAsync.Step.TIMEOUT) {
            detached.setStatus(500);
          }
          return detached;
        }
        String to = async.dispatchPath();
        path = to != null ? to : path;
        internal.beginInternalDispatch();
      }
    } catch (ServletException | RuntimeException e) {
      // The state stays unknown: every precondition then fails, and nothing is written.
      LOG.log(Level.DEBUG, () -> "Internal GET of " + admission.key() + " failed", e);
      detached.setStatus(500);
      return detached;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      detached.setStatus(500);
      return detached;
    } finally {
      InternalAsync used = internal.internalAsyncUsed();
      if (used != null) {
        used.fire(InternalAsync.Step.COMPLETE);
      }
    }
  }

  // ---------------------------------------------------------------- answers

  /**
   * After the guard answered a write itself (428, 400, 412, 503), reads and drops the request
   * content the handler never read, at most {@value #DISCARD_LIMIT} bytes, as Tomcat swallows it:
   * a container that finds content unread when the exchange ends closes the connection (Jetty
   * does so without a {@code Connection: close} in the answer), and a client may by then have
   * sent its next request on that connection. The answer is flushed first, so it never waits for
   * the content; with {@code Expect: 100-continue} the client has sent none and nothing is read.
   */
  private static void discardContent(HttpServletRequest request, HttpServletResponse response) {
    long length = request.getContentLengthLong();
    if (length == 0 || length < 0 && request.getHeader("Transfer-Encoding") == null
        || request.getHeader("Expect") != null) {
      return;
    }
    try {
      response.flushBuffer();
      ServletInputStream in = request.getInputStream();
      byte[] buffer = new byte[8192];
      long read = 0;
      for (int n = 0; n >= 0 && read < DISCARD_LIMIT; n = in.read(buffer)) {
        read += n;
      }
    } catch (IOException | IllegalStateException e) {
      // The client is gone, or the stream is not available: the container closes the connection.
      LOG.log(Level.DEBUG, () -> "Request content not discarded", e);
    }
  }

  private static void setHeaders(HttpServletResponse response, Map<String, String> headers) {
    headers.forEach(response::setHeader);
  }

  /** Writes one of the guard's own answers. */
  static void send(HttpServletResponse response, @Nullable Answer answer) throws IOException {
    if (answer == null) {
      return;
    }
    response.setStatus(answer.status());
    setHeaders(response, answer.headers());
    if (answer.problem() != null) {
      byte[] body = answer.body();
      response.setContentType(Problem.MEDIA_TYPE);
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    }
  }

  @Override
  public String toString() {
    return "ServletGuard{" + engine + "}";
  }

  /**
   * The async context a read's handler gets: the container's, except that completing it, or
   * dispatching from it, first tells the held read.
   */
  private record HeldAsyncContext(AsyncContext context, HeldRead read) implements AsyncContext {
    @Override
    public ServletRequest getRequest() {
      return context.getRequest();
    }

    @Override
    public ServletResponse getResponse() {
      return context.getResponse();
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
      return context.hasOriginalRequestAndResponse();
    }

    @Override
    public void dispatch() {
      dispatching();
      context.dispatch();
    }

    @Override
    public void dispatch(String path) {
      dispatching();
      context.dispatch(path);
    }

    @Override
    public void dispatch(ServletContext servletContext, String path) {
      dispatching();
      context.dispatch(servletContext, path);
    }

    private void dispatching() {
      try {
        read.dispatching();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void complete() {
      try {
        read.finish();
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.DEBUG, "Held async response not sent", e);
      } finally {
        context.complete();
      }
    }

    @Override
    public void start(Runnable run) {
      context.start(run);
    }

    @Override
    public void addListener(AsyncListener listener) {
      context.addListener(new HeldListener(listener, this));
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest servletRequest, ServletResponse servletResponse) {
      context.addListener(new HeldListener(listener, this), servletRequest, servletResponse);
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> type) throws ServletException {
      return context.createListener(type);
    }

    @Override
    public void setTimeout(long timeout) {
      context.setTimeout(timeout);
    }

    @Override
    public long getTimeout() {
      return context.getTimeout();
    }
  }

  /**
   * A handler's listener on a held read: its events carry the {@link HeldAsyncContext}, so a
   * listener that completes the context it is given (the usual timeout fallback) ends the read.
   */
  private record HeldListener(AsyncListener listener, AsyncContext held) implements AsyncListener {
    private AsyncEvent held(AsyncEvent event) {
      return new AsyncEvent(held, event.getSuppliedRequest(), event.getSuppliedResponse(), event.getThrowable());
    }

    @Override
    public void onComplete(AsyncEvent event) throws IOException {
      listener.onComplete(held(event));
    }

    @Override
    public void onTimeout(AsyncEvent event) throws IOException {
      listener.onTimeout(held(event));
    }

    @Override
    public void onError(AsyncEvent event) throws IOException {
      listener.onError(held(event));
    }

    @Override
    public void onStartAsync(AsyncEvent event) throws IOException {
      listener.onStartAsync(held(event));
    }
  }

  /**
   * Releases a request's permit (or its received content) when its async processing ends,
   * however it ends.
   */
  private record PermitRelease(Runnable release) implements AsyncListener {
    @Override
    public void onComplete(AsyncEvent event) {
      release.run();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      release.run();
    }

    @Override
    public void onError(AsyncEvent event) {
      release.run();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      // A re-started async cycle keeps the listener registered.
      event.getAsyncContext().addListener(this);
    }
  }
}
