package dev.etagguard.servlet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * The async processing of an internal GET, kept away from the client's request: a handler that
 * starts async processing during the guard's internal GET (Servlet async, Spring MVC's {@code
 * DeferredResult}, {@code Callable}, {@code CompletableFuture}, {@code WebAsyncTask}) gets this
 * context instead of the container's. Its {@code dispatch} and {@code complete} are reported to
 * the guard's request thread, which waits in {@link #awaitNext()} and runs each dispatch as one
 * more forward of the internal request, as the container would run an ASYNC dispatch.
 *
 * <p>Bounded: the guard waits at most the context's timeout (30 s unless the handler sets one),
 * then tells the listeners, as the container does; if none of them completes or dispatches, the
 * internal GET fails (its state stays unknown, so the write's preconditions fail).
 */
final class InternalAsync implements AsyncContext {

  /** What the handler asked for when it ended a cycle of async processing. */
  enum Step { DISPATCH, COMPLETE, TIMEOUT }

  private static final long DEFAULT_TIMEOUT = 30_000;

  private final ServletRequest request;
  private final ServletResponse response;
  private final boolean original;
  private final List<AsyncListener> listeners = new ArrayList<>();
  private long timeout = DEFAULT_TIMEOUT;
  private @Nullable Step step;
  private @Nullable String dispatchPath;

  InternalAsync(ServletRequest request, ServletResponse response, boolean original) {
    this.request = request;
    this.response = response;
    this.original = original;
  }

  /** A new cycle of async processing on the same context: the listeners are told and forgotten (Servlet 6.1 2.3.3.3). */
  synchronized void restart() {
    step = null;
    dispatchPath = null;
    List<AsyncListener> told = List.copyOf(listeners);
    listeners.clear();
    for (AsyncListener listener : told) {
      try {
        listener.onStartAsync(new AsyncEvent(this, request, response));
      } catch (IOException e) {
        // A listener's failure is its own; the cycle goes on.
      }
    }
  }

  /**
   * Waits for the handler to dispatch or complete, at most the timeout; on the timeout the
   * listeners hear it first and may still dispatch or complete.
   */
  synchronized Step awaitNext() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout > 0 ? timeout : DEFAULT_TIMEOUT);
    while (step == null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fire(Step.TIMEOUT);
        return step == null ? Step.TIMEOUT : step;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return step;
  }

  /** The path of the requested dispatch, or {@code null} for the request's own. */
  synchronized @Nullable String dispatchPath() {
    return dispatchPath;
  }

  /** Tells the listeners the processing has ended ({@link Step#COMPLETE}) or timed out. */
  void fire(Step what) {
    List<AsyncListener> told;
    synchronized (this) {
      told = List.copyOf(listeners);
    }
    for (AsyncListener listener : told) {
      try {
        AsyncEvent event = new AsyncEvent(this, request, response);
        if (what == Step.TIMEOUT) {
          listener.onTimeout(event);
        } else {
          listener.onComplete(event);
        }
      } catch (IOException | RuntimeException e) {
        // As a container would: one listener's failure does not keep the others from hearing.
      }
    }
  }

  private synchronized void next(Step s, @Nullable String path) {
    if (step == null) {
      step = s;
      dispatchPath = path;
      notifyAll();
    }
  }

  @Override
  public ServletRequest getRequest() {
    return request;
  }

  @Override
  public ServletResponse getResponse() {
    return response;
  }

  @Override
  public boolean hasOriginalRequestAndResponse() {
    return original;
  }

  @Override
  public void dispatch() {
    next(Step.DISPATCH, null);
  }

  @Override
  public void dispatch(String path) {
    next(Step.DISPATCH, path);
  }

  @Override
  public void dispatch(ServletContext context, String path) {
    next(Step.DISPATCH, path);
  }

  @Override
  public void complete() {
    next(Step.COMPLETE, null);
  }

  @Override
  public void start(Runnable run) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    ForkJoinPool.commonPool().execute(() -> {
      Thread thread = Thread.currentThread();
      ClassLoader previous = thread.getContextClassLoader();
      thread.setContextClassLoader(loader);
      try {
        run.run();
      } finally {
        thread.setContextClassLoader(previous);
      }
    });
  }

  @Override
  public synchronized void addListener(AsyncListener listener) {
    listeners.add(listener);
  }

  @Override
  public synchronized void addListener(AsyncListener listener, ServletRequest servletRequest,
      ServletResponse servletResponse) {
    listeners.add(listener);
  }

  @Override
  public <T extends AsyncListener> T createListener(Class<T> type) throws ServletException {
    try {
      return type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new ServletException(e);
    }
  }

  @Override
  public synchronized void setTimeout(long timeout) {
    this.timeout = timeout;
  }

  @Override
  public synchronized long getTimeout() {
    return timeout;
  }
}
