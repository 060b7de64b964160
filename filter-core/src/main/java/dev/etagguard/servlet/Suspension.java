package dev.etagguard.servlet;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletRequest;

import org.jspecify.annotations.Nullable;

/**
 * A request suspended while it waits for its resource's permit, holding no container thread:
 * started async when the permit is not free, dispatched (ASYNC) when the permit is granted or
 * refused, and resumed by the guard in that dispatch, where the flow goes on from the wait. A
 * client that leaves while it waits, or a container that times the wait out, abandons it: the
 * exchange is closed (a permit granted later is released at once) and nothing is dispatched.
 */
final class Suspension implements AsyncListener {

  /** Request attribute naming the suspension of a request waiting for its permit. */
  static final String ATTRIBUTE = "dev.etagguard.suspended";

  /** How much longer than {@code permitTimeout} the container lets a suspended request wait: a backstop. */
  static final long MARGIN_MS = 30_000;

  private static final int WAITING = 0;
  private static final int DISPATCHED = 1;
  private static final int ABANDONED = 2;
  private static final int REFUSED = 3;
  private static final int RESUMED = 4;

  final ServletHost host;
  private final CompletableFuture<?> permit;
  private final CompletableFuture<Object> resumed = new CompletableFuture<>();
  private final AtomicInteger state = new AtomicInteger(WAITING);
  private final AsyncContext context;
  /** What the request was started async with, when the container runs the application with it. */
  final @Nullable Relay relay;

  private Suspension(ServletHost host, CompletableFuture<?> permit, AsyncContext context, @Nullable Relay relay) {
    this.host = host;
    this.permit = permit;
    this.context = context;
    this.relay = relay;
  }

  /**
   * Suspends the host's request until {@code permit} completes.
   *
   * @return the stage the flow continues from: completed, in the ASYNC dispatch, as the permit was
   */
  @SuppressWarnings("unchecked")
  static <T> CompletableFuture<T> suspend(ServletHost host, CompletableFuture<T> permit, long timeoutMillis) {
    Relay relay = host.guard.relay(host.request, host.response);
    AsyncContext context = relay == null ? host.request.startAsync(host.request, host.response)
        : host.request.startAsync(relay.request, relay.response);
    context.setTimeout(timeoutMillis + MARGIN_MS);
    Suspension s = new Suspension(host, permit, context, relay);
    host.suspension = s;
    host.request.setAttribute(ATTRIBUTE, s);
    context.addListener(s);
    permit.whenComplete((granted, failure) -> {
      if (failure == null) {
        s.dispatch();
      } else {
        s.refuse(failure);
      }
    });
    return (CompletableFuture<T>) s.resumed;
  }

  /** The suspension the request carries, taken off it; {@code null} when it carries none. */
  static @Nullable Suspension take(ServletRequest request) {
    if (request.getAttribute(ATTRIBUTE) instanceof Suspension s) {
      request.removeAttribute(ATTRIBUTE);
      return s;
    }
    return null;
  }

  private void dispatch() {
    if (state.compareAndSet(WAITING, DISPATCHED)) {
      try {
        context.dispatch();
      } catch (IllegalStateException ended) {
        // The container ended the request meanwhile (the client left, the backstop timed out):
        // nothing resumes it, so the permit goes now.
        host.exchange.close();
        host.end();
      }
    }
  }

  /**
   * The permit was refused (timed out, store unavailable, guard closed): the flow answers at once,
   * on a container thread ({@code AsyncContext.start}: not the refusing thread, a timer's or a
   * store's, which must not write to a client), writing the guard's answer to the suspended
   * response, and the request ends. No dispatch: the handler must not run, and where a container
   * runs the application itself in the dispatch (the valve), nothing of the guard may be left to
   * stop it.
   */
  private void refuse(Throwable failure) {
    if (state.compareAndSet(WAITING, REFUSED)) {
      try {
        context.start(() -> resumed.completeExceptionally(failure));
      } catch (IllegalStateException ended) {
        // The container ended the request meanwhile (the client left): nobody to answer.
        host.exchange.close();
        host.end();
      }
    }
  }

  /** The exchange ended: a refused request, answered without a dispatch, is complete. */
  void ended() {
    if (state.get() == REFUSED) {
      try {
        context.complete();
      } catch (IllegalStateException ended) {
        // The container ended the request meanwhile (the client left).
      }
    }
  }

  /** In the ASYNC dispatch: the flow goes on, on this thread, from where it waited. */
  void resume() {
    state.set(RESUMED);
    permit.whenComplete((granted, failure) -> {
      if (failure != null) {
        resumed.completeExceptionally(failure);
      } else {
        resumed.complete(granted);
      }
    });
  }

  /** The client left, or the container timed the wait out: nothing is dispatched, and the permit goes. */
  private boolean abandon() {
    // Waiting, or dispatched but ended before the guard resumed it (the client left, the guard
    // stopped): nothing resumes it, so its permit goes.
    if (!state.compareAndSet(WAITING, ABANDONED) && !state.compareAndSet(DISPATCHED, ABANDONED)) {
      return false;
    }
    host.exchange.close();
    host.end();
    return true;
  }

  @Override
  public void onTimeout(AsyncEvent event) throws IOException {
    if (abandon()) {
      host.response.sendError(503); // a backstop: the permit's own timeout is shorter
      context.complete();
    }
  }

  @Override
  public void onError(AsyncEvent event) {
    abandon();
  }

  @Override
  public void onComplete(AsyncEvent event) {
    abandon();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {
    // The resumed request starts a cycle of its own: this one is over.
  }
}
