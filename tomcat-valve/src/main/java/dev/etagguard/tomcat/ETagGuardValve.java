package dev.etagguard.tomcat;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.servlet.ServletGuard;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ResourceKeyResolver;
import dev.etagguard.support.Builtins;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.catalina.Container;
import org.apache.catalina.ContainerListener;
import org.apache.catalina.Context;
import org.apache.catalina.Globals;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.LifecycleEvent;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleListener;
import org.apache.catalina.Wrapper;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.naming.ContextBindings;
import org.apache.tomcat.util.buf.MessageBytes;
import org.jspecify.annotations.Nullable;

/**
 * ETag Guard as a Tomcat {@code Valve}: generated strong ETags and Last-Modified, 304 and 412 for
 * conditional requests (RFC 9110 13.2.2), 428 for guarded writes without a precondition (RFC 6585
 * section 3) and per-resource write ordering, for every webapp of an Engine or Host at once
 * ({@code server.xml}) or for one webapp ({@code context.xml}), without touching the webapps:
 *
 * <pre>{@code
 * <Host name="localhost" appBase="webapps">
 *   <Valve className="dev.etagguard.tomcat.ETagGuardValve" guardedPaths="/articles/*"/>
 * </Host>
 * }</pre>
 *
 * <p>Attributes are the {@link GuardSettings#options() options}, by the same names as the filter's
 * init-params, all set through {@link #setProperty(String, String)}; they are read once, in
 * {@link #startInternal()}, and an unknown attribute or a malformed value stops the valve with a
 * {@link LifecycleException} naming it. Paths are matched within each webapp (the request URI without the context path),
 * as the filter matches them.
 *
 * <p>The guard decides after the container's authentication and authorization, as a filter
 * does: wherever the valve is configured (Engine, Host, or a Context before its authenticator),
 * it puts a valve of its own at the end of each webapp's pipeline, after the webapp's
 * {@code Authenticator}, and guards there. A request the container refuses (401, 403) never
 * reaches the guard, so it learns nothing of the resource's validators from it.
 *
 * <p>The request flow is the filter's own ({@link ServletGuard}): this class only installs its
 * wrappers the Tomcat way ({@link Request#setRequest}, {@link Response#setResponse}, restored when
 * the pipeline returns) and tells it when Tomcat has put the response into its error state, from
 * which point the wrappers pass the container's error page through untouched. Each webapp
 * (Context) gets its own engine, so validators and write permits of {@code /a/x} and
 * {@code /b/x} never mix; a webapp's state is dropped when it stops.
 *
 * <p>Only initial REQUEST dispatches are guarded: async dispatches, the error processing Tomcat
 * re-runs through the pipeline, requests without a mapped servlet and the protected
 * {@code /WEB-INF} and {@code /META-INF} paths pass through. Every request the valve takes
 * carries the request attribute {@link ServletGuard#GUARDED_ATTRIBUTE}, so an
 * {@code ETagGuardFilter} in a webapp behind the valve passes it through: guarded once.
 * Asynchronous processing is supported (the permit of an async write is released by an
 * {@code AsyncListener} on completion, error or timeout). A request waiting for its permit waits
 * on its thread, up to {@code permitTimeout}.
 *
 * <p>Thread-safe once started.
 *
 * @since 0.1
 */
public class ETagGuardValve extends ValveBase {

  private static final System.Logger LOG = System.getLogger(ETagGuardValve.class.getName());

  private final Map<String, String> options = Collections.synchronizedMap(new LinkedHashMap<>());
  private final @Nullable GuardSettings given;
  private final ConcurrentMap<Context, Guarding> guards = new ConcurrentHashMap<>();
  /** The containers this valve listens to for webapps to guard. */
  private final ConcurrentMap<Container, ETagGuardValve> watching = new ConcurrentHashMap<>();
  private volatile @Nullable GuardSettings settings;

  /** A valve configured by its attributes ({@link #setProperty(String, String)}) when Tomcat starts it. */
  public ETagGuardValve() {
    super(true);
    this.given = null;
  }

  /** A valve with the given settings, for embedded Tomcat; attributes are ignored. */
  public ETagGuardValve(GuardSettings settings) {
    super(true);
    this.given = settings;
  }

  // ---------------------------------------------------------------- attributes

  /**
   * Sets an attribute: an option of {@link GuardSettings#options()}, by its name. Tomcat's digester
   * ({@code IntrospectionUtils.setProperty}) calls this for every attribute of {@code <Valve>}
   * without a setter of its own, which is every option ({@code asyncSupported} has its setter);
   * embedded code calls it directly. Values are kept as given and read at start: an unknown name or
   * a malformed value then stops the valve, so a misspelt option is never ignored.
   *
   * @return whether {@code name} is an option (Tomcat logs a warning otherwise)
   */
  public boolean setProperty(String name, @Nullable String value) {
    options.put(name, value == null ? "" : value);
    return GuardSettings.optionNames().contains(name);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Builds the settings from the attributes.
   *
   * @throws LifecycleException naming the option, for an unknown option or a malformed value
   */
  @Override
  protected void startInternal() throws LifecycleException {
    GuardSettings built;
    if (given != null) {
      built = given;
    } else {
      try {
        synchronized (options) {
          built = GuardSettings.fromOptions(new LinkedHashMap<>(options));
        }
      } catch (IllegalArgumentException e) {
        throw new LifecycleException("ETag Guard valve: " + e.getMessage(), e);
      }
    }
    settings = built;
    if (built.enabled()) {
      try {
        watch(getContainer());
      } catch (IllegalStateException e) {
        throw new LifecycleException(e.getMessage(), e);
      }
    }
    LOG.log(Level.DEBUG, () -> "ETag Guard valve started in " + getContainer() + ": " + built);
    super.startInternal();
  }

  @Override
  protected void stopInternal() throws LifecycleException {
    super.stopInternal();
    for (Container watched : watching.keySet()) {
      unwatch(watched);
    }
    for (Context context : guards.keySet()) {
      uninstall(context);
    }
  }

  // ---------------------------------------------------------------- installation

  /**
   * Puts the guard into every webapp below {@code container}, now and as webapps are added
   * (ADD_CHILD comes before the child starts): into a webapp that is started, or whose pipeline
   * this valve is starting in, at once; into one that starts later, when it is configured
   * (CONFIGURE_START, after Tomcat's own configuration has added its authenticator) and before
   * its pipeline starts or any request reaches it. A webapp's guard is removed when it stops.
   */
  private void watch(@Nullable Container container) {
    if (container instanceof Context context) {
      if (watching.putIfAbsent(context, this) == null) {
        context.addLifecycleListener(lifecycle);
      }
      GuardSettings s = settings;
      // Started, or starting with this valve in its own pipeline (context.xml): configured already.
      if (s != null && (context.getState().isAvailable() || getContainer() == context)) {
        install(context, s);
      }
    } else if (container != null && !(container instanceof Wrapper)) {
      if (watching.putIfAbsent(container, this) == null) {
        container.addContainerListener(children);
      }
      for (Container child : container.findChildren()) {
        watch(child);
      }
    }
  }

  private void unwatch(Container container) {
    watching.remove(container);
    if (container instanceof Context context) {
      context.removeLifecycleListener(lifecycle);
    } else {
      container.removeContainerListener(children);
    }
  }

  /** Adds the webapp's guard, once, at the end of its pipeline: after its authenticator. */
  private void install(Context context, GuardSettings s) {
    guards.computeIfAbsent(context, c -> {
      Guarding g = new Guarding(c, s);
      if (c.getState().isAvailable()) {
        // A started pipeline starts the valve as it is added, and only logs a failure: open first.
        g.open();
      }
      c.getPipeline().addValve(g);
      LOG.log(Level.DEBUG, () -> "ETag Guard valve: guarding webapp '" + c.getName() + "'");
      return g;
    });
  }

  /** Removes the webapp's guard, its validators and permits: a restarted webapp is learned afresh. */
  private void uninstall(Context context) {
    Guarding g = guards.remove(context);
    if (g != null) {
      g.remove();
      g.close();
    }
  }

  /** Watches the webapps and hosts added below a watched container, and forgets removed ones. */
  private final ContainerListener children = event -> {
    if (Container.ADD_CHILD_EVENT.equals(event.getType()) && event.getData() instanceof Container child) {
      watch(child);
    } else if (Container.REMOVE_CHILD_EVENT.equals(event.getType()) && event.getData() instanceof Container child) {
      unwatch(child);
      if (child instanceof Context context) {
        uninstall(context);
      }
    }
  };

  /** Installs a webapp's guard when it is configured, and removes it when the webapp stops. */
  private final LifecycleListener lifecycle = event -> {
    if (!(event.getLifecycle() instanceof Context context)) {
      return;
    }
    GuardSettings s = settings;
    if (Lifecycle.CONFIGURE_START_EVENT.equals(event.getType()) && s != null && s.enabled()) {
      install(context, s);
    } else if (Lifecycle.AFTER_STOP_EVENT.equals(event.getType())) {
      uninstall(context);
    }
  };

  /** The settings, once started. */
  public @Nullable GuardSettings settings() {
    return settings;
  }

  /** The engine serving the webapp, once it started under this valve; {@code null} before and after. */
  public @Nullable GuardEngine engine(Context context) {
    Guarding g = guards.get(context);
    ServletGuard guard = g == null ? null : g.guard;
    return guard == null ? null : guard.engine();
  }

  /**
   * Creates the engine of one webapp. Override to replace built-in SPIs (store, sequencer,
   * listener) with {@link GuardEngine#builder(GuardSettings)}. The valve closes the engine when the
   * webapp or the valve stops ({@link GuardEngine#close()}: what the engine made itself ends, a
   * sequencer given to its builder stays its giver's).
   *
   * <p>Called as the webapp's pipeline starts, with the webapp's class loader and naming context
   * bound to the thread, so a JNDI name such as {@code java:comp/env/jdbc/etagguard}
   * ({@code postgresDataSource}) resolves in the webapp's environment (a {@code <Resource>} or a
   * {@code <ResourceLink>} to a global resource in its {@code context.xml}). With a
   * {@linkplain GuardSettings#sharedStore() shared store}, the keys of the webapp's resources start
   * with its context path ({@code /wiki/articles/1}), so the webapps one valve guards never share
   * a resource in the store, while the same webapp on several instances does.
   */
  protected GuardEngine createEngine(Context context, GuardSettings settings) {
    if (!settings.shared()) {
      return GuardEngine.create(settings);
    }
    String contextPath = context.getPath();
    ResourceKeyResolver paths = Builtins.pathResolver(settings.keyQueryParameters());
    return GuardEngine.builder(settings)
        .resolver(request -> new ResourceKey(contextPath + paths.resolve(request).value()))
        .build();
  }

  // ---------------------------------------------------------------- requests

  /**
   * Passes the request on: the guard runs in its own valve at the end of the webapp's pipeline
   * ({@link Guarding}), installed when the webapp starts.
   */
  @Override
  public void invoke(Request request, Response response) throws IOException, ServletException {
    getNext().invoke(request, response);
  }

  /** Guards one request, at the end of its webapp's pipeline. */
  private void guard(ServletGuard guard, Request request, Response response, ValveBase next)
      throws IOException, ServletException {
    if (request.isAsyncDispatching()) {
      // A request that waited for its permit suspended resumes here: Tomcat runs the webapp (its
      // REQUEST filters, its servlet) with what the guard suspended it with, pointed at the
      // guard's wrappers. Else an async result (AsyncContext.dispatch), which Tomcat runs with the
      // wrappers the handler started async with; the guard learns when a held read's is done.
      boolean resuming = ServletGuard.resuming(request.getRequest());
      guard.asyncDispatch(request.getRequest(), response.getResponse(), installing(request, response, next));
      if (resuming) {
        unwrapDispatchFailure(request);
      }
      return;
    }
    if (!guarded(request, response)) {
      next.getNext().invoke(request, response);
      return;
    }
    guard.handle(request.getRequest(), response.getResponse(), installing(request, response, next), response::isError);
  }

  /** The rest of the pipeline, with the guard's wrappers installed as the container's request and response. */
  private static ServletGuard.Chain installing(Request request, Response response, ValveBase next) {
    HttpServletRequest originalRequest = request.getRequest();
    HttpServletResponse originalResponse = response.getResponse();
    return (guardedRequest, guardedResponse) -> {
      request.setRequest(guardedRequest);
      response.setResponse(guardedResponse);
      try {
        next.getNext().invoke(request, response);
      } finally {
        request.setRequest(originalRequest);
        response.setResponse(originalResponse);
        if (response.isSuspended() && !response.isError()) {
          // A handler's own forward (a JSP view) had Tomcat suspend the response under the
          // guard's wrapper (suspendWrappedResponseAfterForward): the guard still sends the body.
          response.setSuspended(false);
        }
      }
    };
  }

  /**
   * A handler failure in the dispatch that resumed a waiting request, as the webapp's error pages
   * would have seen it had the request not waited: Tomcat wraps a runtime failure of an async
   * dispatch in a {@code RuntimeException} inside a {@code ServletException}, which hides it from
   * exception-type error pages.
   */
  private static void unwrapDispatchFailure(Request request) {
    if (request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof ServletException failure
        && failure.getCause() instanceof RuntimeException wrapped && wrapped.getClass() == RuntimeException.class
        && wrapped.getCause() != null) {
      request.setAttribute(RequestDispatcher.ERROR_EXCEPTION, wrapped.getCause());
    }
  }

  /** Whether the request is one the guard takes; else it passes through. */
  private static boolean guarded(Request request, Response response) {
    Wrapper wrapper = request.getWrapper();
    return wrapper != null && !wrapper.isUnavailable() && request.getDispatcherType() == DispatcherType.REQUEST
        && !request.isAsync() && !response.isError() && !protectedPath(request.getRequestPathMB());
  }

  /** {@code /WEB-INF} and {@code /META-INF}: the context answers 404; an internal GET must not reach them. */
  private static boolean protectedPath(MessageBytes path) {
    return path.startsWithIgnoreCase("/WEB-INF/", 0) || path.equalsIgnoreCase("/WEB-INF")
        || path.startsWithIgnoreCase("/META-INF/", 0) || path.equalsIgnoreCase("/META-INF");
  }

  /**
   * The guard of one webapp, as a valve at the end of the webapp's pipeline (before its basic
   * valve), so it runs after the webapp's authenticator has authenticated and authorized the
   * request. Removed when the webapp or this valve stops.
   */
  private final class Guarding extends ValveBase {
    private final Context context;
    private final GuardSettings settings;
    /** The webapp's guard, made when this valve starts (the webapp's naming context is ready then). */
    volatile @Nullable ServletGuard guard;

    Guarding(Context context, GuardSettings settings) {
      super(true);
      this.context = context;
      this.settings = settings;
    }

    /**
     * Makes the webapp's engine, with the webapp's class loader and naming context bound; once.
     *
     * @throws IllegalStateException naming the option or resource, when the engine cannot be made
     */
    synchronized void open() {
      if (guard == null) {
        ClassLoader previous = context.bind(null);
        // The webapp's java:comp/env: Tomcat binds it to the threads that run the webapp.
        boolean named = false;
        if (!ContextBindings.isThreadBound()) {
          try {
            ContextBindings.bindThread(context, context.getNamingToken());
            named = true;
          } catch (javax.naming.NamingException e) {
            LOG.log(Level.DEBUG, () -> "ETag Guard valve: webapp '" + context.getName() + "' has no naming context");
          }
        }
        try {
          // Waiting requests are suspended; Tomcat chooses a dispatch's filters by this attribute.
          guard = ServletGuard.inPipeline(createEngine(context, settings), Globals.DISPATCHER_TYPE_ATTR);
        } catch (IllegalArgumentException | IllegalStateException e) {
          throw new IllegalStateException("ETag Guard valve, webapp '" + context.getName() + "': " + e.getMessage(), e);
        } finally {
          if (named) {
            ContextBindings.unbindThread(context, context.getNamingToken());
          }
          context.unbind(previous);
        }
      }
    }

    /**
     * Opens the webapp's engine as the webapp's pipeline starts (its naming context is ready then).
     *
     * @throws LifecycleException naming the option or resource, when the engine cannot be made
     */
    @Override
    protected void startInternal() throws LifecycleException {
      try {
        open();
      } catch (IllegalStateException e) {
        throw new LifecycleException(e.getMessage(), e);
      }
      super.startInternal();
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
      ServletGuard g = guard;
      if (g == null) {
        throw new ServletException("ETag Guard valve used before it started in webapp '" + context.getName() + "'");
      }
      guard(g, request, response, this);
    }

    /** Closes the webapp's engine: its permits, and the shared store's clients it opened. */
    synchronized void close() {
      ServletGuard g = guard;
      guard = null;
      if (g != null) {
        g.engine().close();
      }
    }

    void remove() {
      try {
        context.getPipeline().removeValve(this);
      } catch (RuntimeException e) {
        LOG.log(Level.DEBUG, () -> "ETag Guard valve: could not remove its valve from " + context.getName(), e);
      }
    }

    @Override
    public String toString() {
      return "ETagGuardValve.Guarding[" + context.getName() + "]";
    }
  }
}
