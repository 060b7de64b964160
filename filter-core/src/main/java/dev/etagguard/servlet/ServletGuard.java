package dev.etagguard.servlet;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import dev.etagguard.Admission;
import dev.etagguard.Answer;
import dev.etagguard.BodyBuffer;
import dev.etagguard.Exchange;
import dev.etagguard.GuardEngine;
import dev.etagguard.Problem;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResponseView;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * The Servlet-API side of the guard, written once and shared by every Servlet-based door: the
 * {@link ETagGuardFilter} (the next step is the rest of the filter chain) and the Tomcat valve
 * (the next step is the rest of the container pipeline, the wrappers installed with the connector
 * request's {@code setRequest} / {@code setResponse}). It drives one {@link Admission} per
 * request: it hosts the guard's one flow ({@link Exchange}): the handler runs into a capturing
 * response (HEAD as GET), a write (and, with the option
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
    Exchange exchange = Exchange.admit(engine, new ServletRequestView(request));
    if (exchange == null) {
      next.proceed(request, response);
      return;
    }
    request.setAttribute(GUARDED_ATTRIBUTE, Boolean.TRUE);
    Host host = new Host(exchange, request, response, next, containerError);
    CompletableFuture<Void> done = exchange.run(host).whenComplete((v, failure) -> host.end());
    if (!done.isDone()) {
      // The handler went async: the exchange ends with its async processing.
      done.whenComplete((v, failure) -> {
        if (failure != null) {
          LOG.log(Level.DEBUG, () -> "Async exchange of " + exchange + " failed", failure);
        }
      });
      return;
    }
    try {
      done.join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof ServletException se) {
        throw se;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new ServletException(cause);
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

  private HttpServletResponse shielded(HttpServletResponse response) {
    return inPipeline ? response : ForwardShield.around(response);
  }

  /** A step of the host that may fail as Servlet code does. */
  @FunctionalInterface
  private interface Step<T> {
    T run() throws IOException, ServletException;
  }

  private static <T> CompletableFuture<T> attempt(Step<T> step) {
    try {
      return CompletableFuture.completedFuture(step.run());
    } catch (IOException | ServletException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** One request's host: the flow's steps in Servlet terms, each run on the request's thread. */
  private final class Host implements Exchange.Host {
    private final Exchange exchange;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final Chain next;
    private final BooleanSupplier containerError;
    private final boolean head;
    /** A write's content, received before its permit. */
    private @Nullable SpooledContent content;

    Host(Exchange exchange, HttpServletRequest request, HttpServletResponse response, Chain next,
        BooleanSupplier containerError) {
      this.exchange = exchange;
      this.request = request;
      this.response = response;
      this.next = next;
      this.containerError = containerError;
      this.head = "HEAD".equals(request.getMethod());
    }

    /** The exchange is over: the received content goes. */
    void end() {
      SpooledContent c = content;
      if (c != null) {
        c.close();
      }
    }

    @Override
    public <T> CompletionStage<T> await(CompletableFuture<T> permit) {
      try {
        permit.join(); // bounded by permitTimeout
      } catch (CompletionException | CancellationException failure) {
        // the flow answers it
      }
      return permit;
    }

    @Override
    public CompletionStage<Void> receiveContent() {
      return attempt(() -> {
        content = SpooledContent.receive(request);
        return null;
      });
    }

    @Override
    public CompletionStage<Void> contentFailed(Answer incomplete, Throwable failure) {
      LOG.log(Level.DEBUG, () -> "Request content of " + exchange + " not received", failure);
      try {
        send(response, incomplete);
      } catch (IOException | IllegalStateException gone) {
        // The client is gone: nobody to answer.
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public InputStream content() throws IOException {
      SpooledContent c = content;
      return c != null ? c.open() : request.getInputStream();
    }

    @Override
    public CompletionStage<Void> answer(Answer answer) {
      return attempt(() -> {
        send(response, answer);
        discardContent(request, response);
        return null;
      });
    }

    // ---------------------------------------------------------------- reads

    @Override
    public CompletionStage<Exchange.Captured> read(Set<String> hiddenFields, BodyBuffer body,
        Function<ResponseView, ReadDecision> spill) {
      HeldRead held = new HeldRead(this, body, spill);
      GuardedRequest guarded = GuardedRequest.forHandler(request, held.capture, head, held::started, null)
          .hiding(hiddenFields);
      try {
        next.proceed(guarded, held.capture);
        if (!request.isAsyncStarted()) {
          held.finish();
        }
      } catch (IOException | ServletException | RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      return held.result;
    }

    @Override
    public CompletionStage<Void> sendRead(ReadDecision decision, Exchange.@Nullable Captured captured) {
      return attempt(() -> {
        if (captured == null) {
          applyEarly(decision, response, true);
        } else {
          ServletCaptured held = (ServletCaptured) captured;
          sendHeld(decision, held.body(), held.declaredLength());
        }
        return null;
      });
    }

    private void sendHeld(ReadDecision decision, CaptureStream body, long declaredLength) throws IOException {
      switch (decision.action()) {
        case PASS -> writeHeld(response, body, null, head, declaredLength);
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

    @Override
    public CompletionStage<Void> finishStreamed(Exchange.Captured captured) {
      // Decided at the spill, body streamed or discarded. A HEAD sent nothing yet: it declares the
      // length a GET would have (RFC 9110 8.6), else the container would declare none, or 0.
      ServletCaptured streamed = (ServletCaptured) captured;
      if (head && (early == ReadDecision.Action.FULL || early == ReadDecision.Action.PASS)
          && !response.isCommitted()) {
        response.setContentLengthLong(streamed.declaredLength() >= 0 ? streamed.declaredLength() : streamed.length());
      }
      return CompletableFuture.completedFuture(null);
    }

    /** The decision made at the spill, if the body outgrew the buffer. */
    private ReadDecision.@Nullable Action early;

    // ---------------------------------------------------------------- writes

    @Override
    public CompletionStage<Exchange.Captured> write(BodyBuffer body, EntityTagGenerator.@Nullable Digest contentDigest,
        OptionalLong fencingToken) {
      fencingToken.ifPresent(token -> request.setAttribute(Admission.FENCING_TOKEN_ATTRIBUTE, token));
      CapturingResponse capture = new CapturingResponse(shielded(response), body, c -> true, containerError);
      CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
      GuardedRequest guarded = GuardedRequest.forHandler(request, capture, false, context -> {
        // A write that goes async streams its response; its permit is held until the end.
        capture.passThrough();
        context.addListener(new HeldAsync.Ended(() -> result.complete(ServletCaptured.answered(response,
            capture.capture()))));
        return context;
      }, contentDigest).reading(content);
      try {
        next.proceed(guarded, capture);
        if (request.isAsyncStarted()) {
          return result;
        }
      } catch (IOException | ServletException | RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      if (capture.containerOwned()) {
        return CompletableFuture.completedFuture(ServletCaptured.answered(response, capture.capture()));
      }
      capture.flushWriter();
      return CompletableFuture.completedFuture(new ServletCaptured(response, capture.capture(),
          capture.declaredLength(), false, false, guarded.bodyTag(), guarded.bodyLength()));
    }

    @Override
    public CompletionStage<Void> sendWrite(Exchange.Captured captured, Map<String, String> fields,
        @Nullable Answer failure) {
      CaptureStream body = ((ServletCaptured) captured).body();
      return attempt(() -> {
        if (failure != null && body.complete() && !response.isCommitted()) {
          response.reset();
          send(response, failure);
        } else if (body.complete()) {
          setHeaders(response, fields);
          writeHeld(response, body, null, false, ((ServletCaptured) captured).declaredLength());
        }
        return null;
      });
    }

    /**
     * Runs a GET of the request's resource through the application, detached from the client. A
     * handler that goes async gets an {@link InternalAsync} of its own: this thread waits for its
     * dispatch or completion (bounded by its timeout) and runs each dispatch as one more forward.
     */
    @Override
    public CompletionStage<Exchange.Captured> internalGet(Set<String> keyParameters, BodyBuffer body) {
      DetachedResponse detached = new DetachedResponse(body);
      GuardedRequest internal = GuardedRequest.internalGet(request, keyParameters);
      internal.internalResponse(detached);
      run(internal, detached);
      return CompletableFuture.completedFuture(ServletCaptured.of(detached, detached.capture(), -1));
    }

    private void run(GuardedRequest internal, DetachedResponse detached) {
      String path = ServletRequestView.pathInContext(request);
      try {
        for (int dispatches = 0; ; dispatches++) {
          if (dispatches > MAX_INTERNAL_DISPATCHES) {
            detached.setStatus(500); // a handler that never finishes: the state stays unknown
            return;
          }
          RequestDispatcher dispatcher = request.getRequestDispatcher(path);
          if (dispatcher == null) {
            detached.setStatus(500);
            return;
          }
          dispatcher.forward(internal, detached);
          InternalAsync async = internal.startedInternalAsync();
          if (async == null) {
            return;
          }
          InternalAsync.Step step = async.awaitNext();
          if (step != InternalAsync.Step.DISPATCH) {
            if (step == InternalAsync.Step.TIMEOUT) {
              detached.setStatus(500);
            }
            return;
          }
          String to = async.dispatchPath();
          path = to != null ? to : path;
          internal.beginInternalDispatch();
        }
      } catch (IOException | ServletException | RuntimeException e) {
        // The state stays unknown: every precondition then fails, and nothing is written.
        LOG.log(Level.DEBUG, () -> "Internal GET of " + exchange + " failed", e);
        detached.setStatus(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        detached.setStatus(500);
      } finally {
        InternalAsync used = internal.internalAsyncUsed();
        if (used != null) {
          used.fire(InternalAsync.Step.COMPLETE);
        }
      }
    }
  }

  /**
   * A read whose body the guard holds until the handler is done with it: when the handler
   * returns, or, when it goes async, when it completes its {@code AsyncContext} or the ASYNC
   * dispatch that renders its result returns without starting another cycle (Spring MVC's
   * {@code DeferredResult}, {@code Callable}, {@code CompletableFuture}, ...).
   */
  private final class HeldRead implements HeldAsync.Read {
    private final Host host;
    final CapturingResponse capture;
    final CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
    private final AtomicBoolean finished = new AtomicBoolean();

    HeldRead(Host host, BodyBuffer body, Function<ResponseView, ReadDecision> spill) {
      this.host = host;
      HttpServletResponse response = host.response;
      this.capture = new CapturingResponse(shielded(response), body, c -> {
        ReadDecision decision = spill.apply(new ServletResponseView(c));
        host.early = decision.action();
        return applyEarly(decision, response, host.head);
      }, host.containerError);
    }

    /** The handler went async: the body stays held, the handler's context tells this read of its end. */
    AsyncContext started(AsyncContext context) {
      if (host.exchange.holdsPermit()) {
        context.addListener(new HeldAsync.Ended(host.exchange::close));
      }
      host.request.setAttribute(HELD_READ_ATTRIBUTE, this);
      return new HeldAsync(context, this);
    }

    /**
     * The handler dispatches its result. Bytes it wrote before stay held only when this guard is
     * known to see ASYNC dispatches (a filter mapped for REQUEST only never sees this one end);
     * what the dispatch writes stays held only when the guard claims it.
     */
    @Override
    public void dispatching() throws IOException {
      capture.flushWriter();
      if (!asyncDispatchesSeen && capture.capture().count() > 0) {
        capture.passThrough();
      } else {
        capture.awaitClaim();
      }
    }

    @Override
    public void finish() {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      host.request.removeAttribute(HELD_READ_ATTRIBUTE);
      CaptureStream body = capture.capture();
      if (capture.containerOwned()) {
        result.complete(ServletCaptured.answered(host.response, body));
        return;
      }
      capture.flushWriter();
      if (body.complete() && host.response.isCommitted()) {
        // the container answered meanwhile (an async timeout or error)
        result.complete(ServletCaptured.answered(host.response, body));
        return;
      }
      result.complete(new ServletCaptured(host.response, body, capture.declaredLength(), false,
          host.request.getAttribute(STREAMING_ATTRIBUTE) != null, null, -1));
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

}
