package dev.etagguard.servlet;

import java.io.IOException;
import java.lang.System.Logger.Level;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/**
 * The async context a read's handler gets while the guard holds its body: the container's,
 * except that completing it, or dispatching from it, first tells the held read.
 */
record HeldAsync(AsyncContext context, HeldAsync.Read read) implements AsyncContext {

  private static final System.Logger LOG = System.getLogger(HeldAsync.class.getName());

  /** A read whose body the guard holds until its handler's async processing says it is done. */
  interface Read {
    /** The handler dispatches its result. */
    void dispatching() throws IOException;

    /** The handler is done: decide and send, once. */
    void finish() throws IOException;
  }

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
    context.addListener(new Listener(listener, this));
  }

  @Override
  public void addListener(AsyncListener listener, ServletRequest servletRequest, ServletResponse servletResponse) {
    context.addListener(new Listener(listener, this), servletRequest, servletResponse);
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

  /**
   * A handler's listener on a held read: its events carry the {@link HeldAsync} context, so a
   * listener that completes the context it is given (the usual timeout fallback) ends the read.
   */
  private record Listener(AsyncListener listener, AsyncContext held) implements AsyncListener {
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

  /** Runs an action when a request's async processing ends, however it ends (complete, error, timeout). */
  record Ended(Runnable action) implements AsyncListener {
    @Override
    public void onComplete(AsyncEvent event) {
      action.run();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      action.run();
    }

    @Override
    public void onError(AsyncEvent event) {
      action.run();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      // A re-started async cycle keeps the listener registered.
      event.getAsyncContext().addListener(this);
    }
  }
}
