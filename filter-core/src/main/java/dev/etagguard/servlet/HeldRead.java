package dev.etagguard.servlet;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import dev.etagguard.BodyBuffer;
import dev.etagguard.Exchange;
import dev.etagguard.ReadDecision;
import dev.etagguard.spi.ResponseView;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A read whose body the guard holds until the handler is done with it: when the handler
 * returns, or, when it goes async, when it completes its {@code AsyncContext} or the ASYNC
 * dispatch that renders its result returns without starting another cycle (Spring MVC's
 * {@code DeferredResult}, {@code Callable}, {@code CompletableFuture}, ...).
 */
final class HeldRead implements HeldAsync.Read {

  /** Request attribute naming the held read of a request whose handler went async. */
  static final String ATTRIBUTE = "dev.etagguard.heldRead";

  private final ServletGuard guard;
  private final ServletHost host;
  final CapturingResponse capture;
  final CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
  private final AtomicBoolean finished = new AtomicBoolean();

  HeldRead(ServletGuard guard, ServletHost host, BodyBuffer body, Function<ResponseView, ReadDecision> spill) {
    this.guard = guard;
    this.host = host;
    HttpServletResponse response = host.response;
    this.capture = new CapturingResponse(guard.shielded(response), body, c -> {
      ReadDecision decision = spill.apply(ServletCaptured.of(c, c.capture(), c.declaredLength()));
      host.early = decision.action();
      return ServletAnswers.applyEarly(decision, response, host.head);
    }, host.containerError);
  }

  /** The handler went async: the body stays held, the handler's context tells this read of its end. */
  AsyncContext started(AsyncContext context) {
    if (host.exchange.holdsPermit()) {
      context.addListener(new HeldAsync.Ended(host.exchange::close));
    }
    host.request.setAttribute(ATTRIBUTE, this);
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
    if (!guard.asyncDispatchesSeen() && capture.capture().count() > 0) {
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
    host.request.removeAttribute(ATTRIBUTE);
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
        host.request.getAttribute(ServletGuard.STREAMING_ATTRIBUTE) != null, null, -1));
  }
}
