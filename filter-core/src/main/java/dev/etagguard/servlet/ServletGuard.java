package dev.etagguard.servlet;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

import dev.etagguard.Exchange;
import dev.etagguard.GuardEngine;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * The Servlet-API side of the guard, written once and shared by every Servlet-based door: the
 * {@link ETagGuardFilter} (the next step is the rest of the filter chain) and the Tomcat valve
 * (the next step is the rest of the container pipeline, the wrappers installed with the connector
 * request's {@code setRequest} / {@code setResponse}). It drives one {@code Admission} per
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
  public static final String GUARDED_ATTRIBUTE = Exchange.GUARDED_ATTRIBUTE;

  /**
   * Request attribute a handler may set to {@code Boolean.TRUE} before writing to have its
   * response streamed untouched (no generated ETag), e.g. for long-running streams.
   */
  public static final String STREAMING_ATTRIBUTE = "dev.etagguard.streaming";

  private static final System.Logger LOG = System.getLogger(ServletGuard.class.getName());

  private static final BooleanSupplier NEVER = () -> false;

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

  /** Whether a request waiting for its permit may now be suspended (its ASYNC dispatch comes back here). */
  private final BooleanSupplier suspendable;

  /**
   * For a host in the container's pipeline that suspends waiting requests: the request attribute
   * by which its container chooses a dispatch's filters; {@code null} for every other host.
   */
  private final @Nullable String dispatcherTypeAttribute;

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
   *     for a filter, whose wrapper keeps Tomcat from finding the response to suspend. Waiting
   *     requests wait on their thread
   * @since 0.3
   */
  public ServletGuard(GuardEngine engine, boolean inPipeline) {
    this(engine, inPipeline, NEVER, null);
  }

  private ServletGuard(GuardEngine engine, boolean inPipeline, BooleanSupplier suspendable,
      @Nullable String dispatcherTypeAttribute) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.inPipeline = inPipeline;
    this.suspendable = Objects.requireNonNull(suspendable, "suspendable");
    this.dispatcherTypeAttribute = dispatcherTypeAttribute;
  }

  /**
   * A guard for a filter whose host knows how the application's filters are mapped (the Spring
   * starter): while {@code waitWithoutThread} is true, a request waiting for its permit holds no
   * container thread. It is suspended, and resumed by an ASYNC dispatch, which the filter must be
   * mapped for; the rest of the request runs in that dispatch, through the filters behind the
   * guard that are mapped for ASYNC, the handler seeing a REQUEST. So {@code waitWithoutThread}
   * must be true only while every filter that runs on REQUEST dispatches runs on ASYNC ones too.
   *
   * @param engine the engine
   * @param waitWithoutThread whether a waiting request may now be suspended
   * @since 0.3
   */
  public static ServletGuard forFilter(GuardEngine engine, BooleanSupplier waitWithoutThread) {
    return new ServletGuard(engine, false, waitWithoutThread, null);
  }

  /**
   * A guard for a host in the container's own pipeline (as {@link #ServletGuard(GuardEngine,
   * boolean)} with {@code true}) whose waiting requests hold no container thread: a request
   * waiting for its permit is suspended, and the ASYNC dispatch its permit causes must reach
   * {@link #asyncDispatch} before the application. There the flow goes on where it waited; when it
   * runs the handler, the container runs the application with the request and response the
   * request was suspended with, which the guard points at its own wrappers and which answer
   * {@code REQUEST} for {@code dispatcherTypeAttribute}: so a container that chooses a dispatch's
   * filters by that attribute (Tomcat: {@code org.apache.catalina.core.DISPATCHER_TYPE}) runs the
   * application's REQUEST filters, and the handler sees its REQUEST, as if it had never waited.
   *
   * @param engine the engine
   * @param dispatcherTypeAttribute the request attribute by which the container chooses the
   *     filters of a dispatch
   * @since 0.3
   */
  public static ServletGuard inPipeline(GuardEngine engine, String dispatcherTypeAttribute) {
    return new ServletGuard(engine, true, () -> true, Objects.requireNonNull(dispatcherTypeAttribute, "dispatcherTypeAttribute"));
  }

  /**
   * A guard for the {@code web.xml} filter on Tomcat, whose waiting requests hold no container
   * thread: a waiting request is suspended with relays that say REQUEST where Tomcat asks which
   * filters an ASYNC dispatch runs, so the dispatch its permit causes runs the webapp's REQUEST
   * filter chain, this filter's too; the guard resumes the flow in it, and the filters behind the
   * guard and the handler run as in the request's own dispatch. The filters before the guard run
   * again in that dispatch.
   */
  static ServletGuard forTomcatFilter(GuardEngine engine) {
    return new ServletGuard(engine, false, () -> true, Containers.TOMCAT_DISPATCHER_TYPE);
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
    if (resume(request, next)) {
      return; // a dispatch the container runs as a REQUEST one (the filter on Tomcat)
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
    ServletHost host = new ServletHost(this, exchange, request, response, next, containerError);
    CompletableFuture<Void> done = exchange.run(host).whenComplete((v, failure) -> host.end());
    host.done = done;
    finish(exchange, done);
  }

  /**
   * Resumes a request that waited for its permit suspended, in the ASYNC dispatch its permit
   * caused: the flow goes on with {@code next}, the rest of this dispatch.
   *
   * @return {@code false} when the request is no suspended one (then nothing was done)
   */
  private boolean resume(HttpServletRequest request, Chain next) throws IOException, ServletException {
    Suspension suspension = Suspension.take(request);
    if (suspension == null) {
      return false;
    }
    ServletHost host = suspension.host;
    host.resumeWith(next, suspension.relay);
    suspension.resume();
    try {
      finish(host.exchange, Objects.requireNonNull(host.done, "done"));
    } catch (RuntimeException e) {
      if (suspension.relay == null) {
        throw e;
      }
      // Tomcat wraps a runtime failure of an async dispatch twice, which hides it from the
      // webapp's exception-type error pages; a ServletException it passes on as it is.
      throw new ServletException(e);
    }
    return true;
  }

  /**
   * Whether {@code request} is one suspended while it waited for its permit, about to be resumed
   * by the ASYNC dispatch the container now runs.
   *
   * @param request the request as the container gives it
   * @return whether the guard resumes it in this dispatch
   * @since 0.3
   */
  public static boolean resuming(HttpServletRequest request) {
    return request.getAttribute(Suspension.ATTRIBUTE) instanceof Suspension;
  }

  /** Whether a waiting request may be suspended (its ASYNC dispatch resumes it here). */
  boolean suspends() {
    return suspendable.getAsBoolean();
  }

  /**
   * The request and response to suspend a request with, for a host whose container runs the
   * application itself in the resuming dispatch; {@code null} when the guard runs it.
   */
  @Nullable Relay relay(HttpServletRequest request, HttpServletResponse response) {
    String attribute = dispatcherTypeAttribute;
    return attribute == null ? null : new Relay(request, response, attribute, inPipeline);
  }

  /** Raises the exchange's failure, once it ended; an exchange still running ends with its async processing. */
  private static void finish(Exchange exchange, CompletableFuture<Void> done) throws IOException, ServletException {
    if (!done.isDone()) {
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
   * Runs an ASYNC dispatch: the one that resumes a request suspended while it waited for its
   * permit, where the flow goes on with {@code next}; or the result of a handler's
   * {@code AsyncContext.dispatch}, and when it renders the result of a read whose body the guard
   * holds, the read ends when the dispatch returns without starting another cycle. For a host that
   * knows a dispatch is an ASYNC one where the request does not say so (Tomcat's pipeline).
   *
   * @param request the request as the container gives it
   * @param response the response as the container gives it
   * @param next the rest of the dispatch
   */
  public void asyncDispatch(HttpServletRequest request, HttpServletResponse response, Chain next)
      throws IOException, ServletException {
    if (resume(request, next)) {
      return;
    }
    if (!(request.getAttribute(HeldRead.ATTRIBUTE) instanceof HeldRead held)) {
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

  /** Whether an ASYNC dispatch of a held read has reached this guard. */
  boolean asyncDispatchesSeen() {
    return asyncDispatchesSeen;
  }

  HttpServletResponse shielded(HttpServletResponse response) {
    return inPipeline ? response : ForwardShield.around(response);
  }

  @Override
  public String toString() {
    return "ServletGuard{" + engine + "}";
  }
}
