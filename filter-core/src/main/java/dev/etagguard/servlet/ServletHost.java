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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import dev.etagguard.Answer;
import dev.etagguard.BodyBuffer;
import dev.etagguard.ContentRate;
import dev.etagguard.Exchange;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResponseView;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * One request's host of the guard's flow ({@link Exchange}) in Servlet terms: every step runs on
 * the request's thread, except the end of a read or write whose handler went async, which its
 * async processing tells. A permit that is not free is waited for suspended ({@link Suspension})
 * where the guard allows it (the Spring starter's filter, {@link ServletGuard#forFilter}), else on
 * the request's thread; either way bounded by {@code permitTimeout}.
 */
final class ServletHost implements Exchange.Host {

  private static final System.Logger LOG = System.getLogger(ServletHost.class.getName());

  /** How long a request waits for its permit on its thread before it is suspended. */
  static final long ON_THREAD_MILLIS = 10;

  /** The most ASYNC dispatches one internal GET runs before it gives up on its handler. */
  private static final int MAX_INTERNAL_DISPATCHES = 16;

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

  /**
   * Sends the guard's own answer or the held response. A client gone meanwhile fails no step:
   * nobody is left to answer, and the exception must not reach the container as the request's
   * failure (a handler's write to a gone client is handled quietly where the servlet runs; the
   * guard's, raised from the valve, would reach the Host's error handling and be logged as an
   * error). The exchange still ends, and its permit is released.
   */
  private CompletionStage<Void> send(Step<Void> step) {
    try {
      step.run();
    } catch (IOException gone) {
      LOG.log(Level.DEBUG, () -> "Answer to " + exchange + " not sent: the client is gone", gone);
    } catch (ServletException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(null);
  }

  final ServletGuard guard;
  final Exchange exchange;
  final HttpServletRequest request;
  final HttpServletResponse response;
  /** The handler: the chain of the dispatch the flow runs in (a suspended request's resuming one). */
  private ServletGuard.Chain next;
  /** The exchange's end, once running. */
  volatile @Nullable CompletableFuture<Void> done;
  final BooleanSupplier containerError;
  final boolean head;
  /** A write's content, received before its permit. */
  private @Nullable SpooledContent content;
  /** The pace of the content a write reads from its client under its permit. */
  private @Nullable ContentRate rate;

  ServletHost(ServletGuard guard, Exchange exchange, HttpServletRequest request, HttpServletResponse response,
      ServletGuard.Chain next, BooleanSupplier containerError) {
    this.guard = guard;
    this.exchange = exchange;
    this.request = request;
    this.response = response;
    this.next = next;
    this.containerError = containerError;
    this.head = "HEAD".equals(request.getMethod());
  }

  /**
   * The request resumes in an ASYNC dispatch: the handler is that dispatch's chain, run, where the
   * container runs the application itself, with {@code r} pointed at the guard's wrappers.
   */
  void resumeWith(ServletGuard.Chain chain, @Nullable Relay r) {
    this.next = (guarded, capture) -> {
      if (r != null) {
        r.point(guarded, capture); // the container runs the application with the relay
      }
      try {
        chain.proceed(guarded, capture);
      } finally {
        // Only this dispatch is the request's REQUEST: the ASYNC dispatches of a cycle the
        // handler started in it are the container's.
        if (r != null) {
          r.retire();
        }
        if (guarded instanceof GuardedRequest g) {
          g.resumed(false);
        }
      }
    };
    this.resumed = true;
  }

  /** Whether the request was resumed in an ASYNC dispatch: its handler still sees its REQUEST. */
  private boolean resumed;

  /** The exchange is over: the received content goes, and a request refused while suspended completes. */
  void end() {
    SpooledContent c = content;
    if (c != null) {
      c.close();
    }
    Suspension s = suspension;
    if (s != null) {
      s.ended();
    }
  }

  /** The suspension of a request that waited for its permit without a thread. */
  volatile @Nullable Suspension suspension;

  @Override
  public <T> CompletionStage<T> await(CompletableFuture<T> permit) {
    if (!permit.isDone() && guard.suspends() && request.isAsyncSupported() && !request.isAsyncStarted()) {
      // A permit that comes soon (an uncontended write to a shared store: its store's round
      // trip) is waited for here, as Jetty's QoSFilter waits briefly: cheaper than a suspension
      // and its dispatch. A longer wait holds no thread.
      try {
        permit.get(ON_THREAD_MILLIS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | InterruptedException notYet) {
        if (notYet instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        if (!permit.isDone()) {
          return Suspension.suspend(this, permit, guard.engine().settings().permitTimeout().toMillis());
        }
      } catch (ExecutionException | CancellationException failure) {
        // the flow answers it
      }
      return permit;
    }
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
      rate = exchange.contentRate();
      content = SpooledContent.receive(request);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> contentFailed(Answer incomplete, Throwable failure) {
    LOG.log(Level.DEBUG, () -> "Request content of " + exchange + " not received", failure);
    try {
      ServletAnswers.send(response, incomplete);
    } catch (IOException | IllegalStateException gone) {
      // The client is gone: nobody to answer.
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public InputStream content() throws IOException {
    SpooledContent c = content;
    ContentRate r = Objects.requireNonNull(rate, "rate");
    return c != null ? c.open(r) : new MeteredInput(request.getInputStream(), r);
  }

  @Override
  public CompletionStage<Void> answer(Answer answer) {
    return send(() -> {
      ServletAnswers.send(response, answer);
      ServletAnswers.discardContent(request, response);
      return null;
    });
  }

  // ---------------------------------------------------------------- reads

  @Override
  public CompletionStage<Exchange.Captured> read(Set<String> hiddenFields, BodyBuffer body,
      Function<ResponseView, ReadDecision> spill) {
    HeldRead held = new HeldRead(guard, this, body, spill);
    GuardedRequest guarded = GuardedRequest.forHandler(request, held.capture, head, held::started, null)
        .hiding(hiddenFields).resumed(resumed);
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
    return send(() -> {
      if (captured == null) {
        ServletAnswers.applyEarly(decision, response, true);
      } else {
        ServletCaptured held = (ServletCaptured) captured;
        sendHeld(decision, held.body(), held.declaredLength());
      }
      return null;
    });
  }

  private void sendHeld(ReadDecision decision, CaptureStream body, long declaredLength) throws IOException {
    switch (decision.action()) {
      case PASS -> ServletAnswers.writeHeld(response, body, null, head, declaredLength);
      case FULL -> {
        ServletAnswers.setHeaders(response, decision.headers());
        ServletAnswers.writeHeld(response, body, null, head, -1);
      }
      case PARTIAL -> {
        ByteRange range = Objects.requireNonNull(decision.range());
        ServletAnswers.setHeaders(response, decision.headers());
        response.setStatus(206);
        response.setHeader("Content-Range", range.contentRange(body.count()));
        ServletAnswers.writeHeld(response, body, range, head, -1);
      }
      case NOT_MODIFIED -> ServletAnswers.notModified(response, decision.headers());
      case REJECT -> {
        response.reset();
        ServletAnswers.send(response, decision.answer());
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
  ReadDecision.@Nullable Action early;

  // ---------------------------------------------------------------- writes

  @Override
  public CompletionStage<Exchange.Captured> write(BodyBuffer body, EntityTagGenerator.@Nullable Digest contentDigest,
      OptionalLong fencingToken) {
    fencingToken.ifPresent(token -> request.setAttribute(Exchange.FENCING_TOKEN_ATTRIBUTE, token));
    CapturingResponse capture = new CapturingResponse(guard.shielded(response), body, c -> true, containerError);
    ContentRate r = Objects.requireNonNull(rate, "rate");
    CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
    GuardedRequest guarded = GuardedRequest.forHandler(request, capture, false, context -> {
      // A write that goes async streams its response; its permit is held until the end. A client
      // too slow for its content is answered as its read fails: no step of the flow follows.
      capture.passThrough();
      r.whenTooSlow(() -> tooSlowAsync(r));
      context.addListener(new HeldAsync.Ended(() -> result.complete(ServletCaptured.answered(response,
          capture.capture()))));
      return context;
    }, contentDigest).reading(content, r).resumed(resumed);
    try {
      next.proceed(guarded, capture);
      if (request.isAsyncStarted()) {
        return result;
      }
    } catch (IOException | ServletException | RuntimeException e) {
      if (!r.tooSlow()) {
        return CompletableFuture.failedFuture(e);
      }
    }
    if (r.tooSlow()) {
      return tooSlow(capture, r);
    }
    if (capture.containerOwned()) {
      return CompletableFuture.completedFuture(ServletCaptured.answered(response, capture.capture()));
    }
    capture.flushWriter();
    return CompletableFuture.completedFuture(new ServletCaptured(response, capture.capture(),
        capture.declaredLength(), false, false, guarded.bodyTag(), guarded.bodyLength()));
  }

  /** As {@link #tooSlow}, for a write whose handler went async: on the reading thread, at once. */
  private void tooSlowAsync(ContentRate r) {
    LOG.log(Level.DEBUG, () -> "Request content of " + exchange + " too slow: " + r);
    try {
      if (!response.isCommitted()) {
        response.reset();
        ServletAnswers.send(response, exchange.slowContent());
        response.flushBuffer();
      }
    } catch (IOException | IllegalStateException gone) {
      LOG.log(Level.DEBUG, () -> "Answer to " + exchange + " not sent: the client is gone", gone);
    }
  }

  /**
   * The client sent its content under the permit too slowly (option {@code minContentRate}): 408
   * in place of the handler's response (or the container's error page), sent at once, unless the
   * response went out already; either way the write ends and its permit is released.
   */
  private CompletionStage<Exchange.Captured> tooSlow(CapturingResponse capture, ContentRate r) {
    LOG.log(Level.DEBUG, () -> "Request content of " + exchange + " too slow: " + r);
    return send(() -> {
      if (!response.isCommitted()) {
        response.reset();
        ServletAnswers.send(response, exchange.slowContent());
        response.flushBuffer();
      }
      return null;
    }).thenApply(v -> ServletCaptured.answered(response, capture.capture()));
  }

  @Override
  public CompletionStage<Void> sendWrite(Exchange.Captured captured, Map<String, String> fields,
      @Nullable Answer failure) {
    CaptureStream body = ((ServletCaptured) captured).body();
    return send(() -> {
      if (failure != null && body.complete() && !response.isCommitted()) {
        response.reset();
        ServletAnswers.send(response, failure);
      } else if (body.complete()) {
        ServletAnswers.setHeaders(response, fields);
        ServletAnswers.writeHeld(response, body, null, false, ((ServletCaptured) captured).declaredLength());
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
