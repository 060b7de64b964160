package dev.etagguard.servlet;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * ETag Guard as a Jakarta Servlet filter: generated strong ETags and Last-Modified, 304 and 412
 * for conditional requests (RFC 9110 13.2.2), 428 for guarded writes without a precondition
 * (RFC 6585), single byte ranges with If-Range, and per-resource write ordering, in front of any
 * servlet, which needs no change.
 *
 * <p>Configure with {@code <init-param>}s named as the {@link GuardSettings} options; a context
 * parameter {@code dev.etagguard.NAME} overrides the init-param {@code NAME} (so a Tomcat
 * {@code context.xml} can switch the guard off with {@code dev.etagguard.enabled=false}). Or
 * construct it with {@link #ETagGuardFilter(GuardSettings)} or {@link #ETagGuardFilter(GuardEngine)}
 * and register it with {@code ServletContext.addFilter}.
 *
 * <p>Only REQUEST dispatches are guarded; forwards, includes, error and async dispatches inside a
 * guarded request pass through, so nothing waits for a permit the request already holds. Map it
 * with {@code <async-supported>true</async-supported>} and dispatcher types REQUEST and ASYNC.
 * A request already guarded (by a valve in front, or a second instance) passes through; the
 * request attribute {@link #GUARDED_ATTRIBUTE} marks it.
 *
 * <p>A write (or, with {@code readPermits}, a read) waiting for its resource's permit holds no
 * container thread on Tomcat: it is suspended and resumed by a dispatch that runs the webapp's
 * REQUEST filters, this one's included; the filters mapped before this one then run a second
 * time. On Jetty too, when every filter of the webapp that runs on REQUEST dispatches runs on
 * ASYNC ones too (this one included; checked as a request would wait): it is then resumed by an
 * ASYNC dispatch, as Jetty's {@code QoSFilter} resumes; the filters before this one mapped for
 * ASYNC run again, and the handler sees a REQUEST. Elsewhere it waits on its thread, at most {@code permitTimeout}.
 *
 * <p>The current validators of a resource the store does not know are learned by an internal
 * GET: a {@code RequestDispatcher} forward to the same path, whose response never reaches the
 * client. The request flow itself is {@link ServletGuard}'s, shared with the Tomcat valve.
 * Thread-safe.
 *
 * @since 0.1
 */
public class ETagGuardFilter implements Filter {

  /** Request attribute set on every request the guard has taken: its presence makes later guards pass. */
  public static final String GUARDED_ATTRIBUTE = ServletGuard.GUARDED_ATTRIBUTE;

  /**
   * Request attribute a handler may set to {@code Boolean.TRUE} before writing to have its
   * response streamed untouched (no generated ETag), e.g. for long-running streams.
   */
  public static final String STREAMING_ATTRIBUTE = ServletGuard.STREAMING_ATTRIBUTE;

  /**
   * Servlet context attribute: a {@link dev.etagguard.spi.GuardListener} placed there before the
   * filter initializes (by a {@code ServletContainerInitializer} or a {@code ServletContextListener})
   * hears the engine of a filter configured from init-params, e.g. for metrics.
   */
  public static final String LISTENER_ATTRIBUTE = "dev.etagguard.GuardListener";

  /**
   * Servlet context attribute: the {@link GuardEngine} of the first filter of the webapp configured
   * from init-params, set when it initializes, so the application can read its state (the
   * sequencer's queue depth, the store's size).
   */
  public static final String ENGINE_ATTRIBUTE = "dev.etagguard.GuardEngine";

  /** Prefix of context parameters that override init-params. */
  public static final String CONTEXT_PARAMETER_PREFIX = "dev.etagguard.";

  private static final System.Logger LOG = System.getLogger(ETagGuardFilter.class.getName());

  private volatile @Nullable ServletGuard guard;
  /** Whether the guard was made by a constructor that leaves how requests wait to {@link #init}. */
  private volatile boolean waitingChosenAtInit;
  /** Whether this filter made its engine (from init-params), so it closes it. */
  private volatile boolean ownsEngine;

  /** A filter configured from its init-params when the container initializes it. */
  public ETagGuardFilter() {
  }

  /** A filter with the given settings; init-params are ignored. */
  public ETagGuardFilter(GuardSettings settings) {
    this(GuardEngine.create(settings));
  }

  /** A filter driven by the given engine (custom SPIs); init-params are ignored. */
  public ETagGuardFilter(GuardEngine engine) {
    this.guard = new ServletGuard(engine);
    this.waitingChosenAtInit = true;
  }

  /**
   * A filter driven by the given engine, for a host that knows how the application's filters are
   * mapped (the Spring starter): while {@code waitWithoutThread} is true, a request waiting for
   * its resource's permit holds no container thread (see {@link ServletGuard#forFilter}); the
   * filter must then be mapped for ASYNC dispatches too. Init-params are ignored.
   *
   * @param engine the engine
   * @param waitWithoutThread whether a waiting request may now be suspended: only while every
   *     filter that runs on REQUEST dispatches runs on ASYNC ones too
   * @since 0.3
   */
  public ETagGuardFilter(GuardEngine engine, BooleanSupplier waitWithoutThread) {
    this.guard = ServletGuard.forFilter(engine, waitWithoutThread);
  }

  /** The engine, once initialized. */
  public @Nullable GuardEngine engine() {
    ServletGuard g = guard;
    return g == null ? null : g.engine();
  }

  @Override
  public void init(FilterConfig config) throws ServletException {
    ServletGuard given = guard;
    if (given != null) {
      if (waitingChosenAtInit) {
        guard = guardFor(given.engine(), config.getServletContext());
      }
      return;
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (String name : Collections.list(config.getInitParameterNames())) {
      options.put(name, config.getInitParameter(name));
    }
    ServletContext context = config.getServletContext();
    for (String name : Collections.list(context.getInitParameterNames())) {
      if (name.startsWith(CONTEXT_PARAMETER_PREFIX)) {
        options.put(name.substring(CONTEXT_PARAMETER_PREFIX.length()), context.getInitParameter(name));
      }
    }
    ServletGuard g;
    try {
      GuardEngine.Builder builder = GuardEngine.builder(GuardSettings.fromOptions(options));
      if (context.getAttribute(LISTENER_ATTRIBUTE) instanceof dev.etagguard.spi.GuardListener listener) {
        builder.listener(listener);
      }
      GuardEngine engine = builder.build();
      g = guardFor(engine, context);
    } catch (IllegalArgumentException e) {
      throw new ServletException("ETag Guard filter '" + config.getFilterName() + "': " + e.getMessage(), e);
    }
    guard = g;
    ownsEngine = true;
    if (context.getAttribute(ENGINE_ATTRIBUTE) == null) {
      context.setAttribute(ENGINE_ATTRIBUTE, g.engine());
    }
    LOG.log(Level.DEBUG, () -> "ETag Guard filter '" + config.getFilterName() + "' started: " + g.engine());
  }

  /** The guard for this container: one whose waiting requests hold no thread where the container allows it. */
  private static ServletGuard guardFor(GuardEngine engine, ServletContext context) {
    if (Containers.tomcat(context)) {
      return ServletGuard.forTomcatFilter(engine);
    }
    BooleanSupplier jetty = Containers.jettyFiltersRunOnAsync(context);
    if (jetty == null || !jetty.getAsBoolean()) {
      LOG.log(Level.INFO, () -> "ETag Guard filter: requests waiting for their permit wait on their thread here"
          + (jetty == null ? "" : " while a filter runs on REQUEST dispatches and not on ASYNC ones"));
    }
    return jetty != null ? ServletGuard.forFilter(engine, jetty) : new ServletGuard(engine);
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
    ServletGuard g = guard;
    if (g == null) {
      throw new ServletException("ETag Guard filter used before init()");
    }
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
      chain.doFilter(req, res);
      return;
    }
    g.handle(request, response, chain::doFilter);
  }

  @Override
  public void destroy() {
    // Permits are released per request and the store is garbage; the engine this filter made
    // has a timer thread to end (an engine given to the constructor is its giver's to close).
    ServletGuard g = guard;
    if (ownsEngine && g != null) {
      g.engine().close();
    }
  }
}
