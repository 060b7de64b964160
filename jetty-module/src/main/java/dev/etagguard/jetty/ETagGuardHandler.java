package dev.etagguard.jetty;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.etagguard.Exchange;
import dev.etagguard.GuardEngine;
import dev.etagguard.GuardSettings;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * ETag Guard as a Jetty 12 core {@link Handler.Wrapper}: generated strong ETags and
 * Last-Modified, 304 and 412 (RFC 9110 13.2.2), 428 for guarded writes without a precondition
 * (RFC 6585), single byte ranges with If-Range, and per-resource write ordering, in front of any
 * handler (a {@code ResourceHandler}, a servlet context, your own), with no servlet types.
 *
 * <p>Configured with the {@link GuardSettings} option names as setters (Jetty XML
 * {@code <Set name="guardedPaths">}), all taking strings; blank means default. Or construct it
 * with {@link #ETagGuardHandler(GuardSettings)} or {@link #ETagGuardHandler(GuardEngine)}.
 * Settings are frozen at start.
 *
 * <p>Non-blocking: a write (or, with the option {@code readPermits}, a read) waiting for its
 * resource's permit holds no thread; it continues on the server's executor when the permit is
 * granted. Bodies beyond {@code maxBufferSize} stream with the real response's callbacks, so
 * demand and back-pressure hold. The permit is released when the request's callback completes,
 * succeeded or failed. A write's request content is received in full before its permit is
 * taken (read with demand callbacks; up to 64 KiB in memory, beyond that in a temporary file
 * deleted when the exchange completes), so a client that sends slowly holds no permit; a client
 * that fails to send its content gets a 400, with no permit taken.
 *
 * <p>Place it inside a compression handler (compression outermost): the guard then sees and
 * tags identity bytes, and the compression handler gives the compressed variant its own ETag
 * (suffixed) and maps conditional headers back, so a compressed variant never shares a strong
 * ETag with the identity one. A request already guarded (request attribute
 * {@value #GUARDED_ATTRIBUTE}, also set for a servlet filter behind it) passes through.
 *
 * @since 0.1
 */
public class ETagGuardHandler extends Handler.Wrapper {

  /** The request attribute marking a request the guard has taken; the Servlet filter honours it too. */
  public static final String GUARDED_ATTRIBUTE = Exchange.GUARDED_ATTRIBUTE;

  private final Map<String, String> options = new LinkedHashMap<>();
  private final boolean fixedEngine;
  /** The settings the handler makes its engine from when it was given settings, else {@code null}. */
  private final @Nullable GuardSettings givenSettings;
  private volatile @Nullable GuardEngine engine;
  /** Whether the engine was closed by a stop, so a restart makes a new one. */
  private volatile boolean engineClosed;

  /** A handler configured by its setters, built at start. */
  public ETagGuardHandler() {
    this.fixedEngine = false;
    this.givenSettings = null;
    addEventListener(security);
  }

  /** A handler with the given settings; setters are not used. Its engine is closed when it stops. */
  public ETagGuardHandler(GuardSettings settings) {
    this.fixedEngine = true;
    this.givenSettings = settings;
    this.engine = GuardEngine.create(settings);
    addEventListener(security);
  }

  /**
   * A handler driven by the given engine (custom SPIs); setters are not used. The engine is its
   * giver's to close.
   */
  public ETagGuardHandler(GuardEngine engine) {
    this.engine = engine;
    this.fixedEngine = true;
    this.givenSettings = null;
    addEventListener(security);
  }

  /** The engine, once started (or given). */
  public @Nullable GuardEngine getEngine() {
    return engine;
  }

  @Override
  protected void doStart() throws Exception {
    if (!fixedEngine) {
      engine = GuardEngine.create(GuardSettings.fromOptions(options));
    } else if (givenSettings != null && engineClosed) {
      engine = GuardEngine.create(givenSettings);
    }
    engineClosed = false;
    super.doStart();
  }

  /** Stops, and closes the engine this handler made (its timer thread ends with it). */
  @Override
  protected void doStop() throws Exception {
    super.doStop();
    GuardEngine e = engine;
    if (e != null && (!fixedEngine || givenSettings != null)) {
      e.close();
      engineClosed = true;
    }
  }

  private void option(String name, @Nullable String value) {
    if (isStarted()) {
      throw new IllegalStateException("ETag Guard options are frozen once started: " + name);
    }
    if (fixedEngine) {
      throw new IllegalStateException("This handler was built with fixed settings: " + name);
    }
    options.put(name, value == null ? "" : value);
  }

  /** Option {@code enabled}: {@code false} passes every request through. Default {@code true}. */
  public void setEnabled(String value) {
    option("enabled", value);
  }

  /** Option {@code etagPaths}: paths whose GET/HEAD get generated validators. Default {@code /*}. */
  public void setEtagPaths(String value) {
    option("etagPaths", value);
  }

  /** Option {@code excludedPaths}: paths the guard never touches. */
  public void setExcludedPaths(String value) {
    option("excludedPaths", value);
  }

  /** Option {@code guardedPaths}: paths whose writes must carry a precondition (428). */
  public void setGuardedPaths(String value) {
    option("guardedPaths", value);
  }

  /** Option {@code guardedMethods}: the methods {@code guardedPaths} applies to. Default {@code PUT, PATCH, DELETE}. */
  public void setGuardedMethods(String value) {
    option("guardedMethods", value);
  }

  /** Option {@code acceptIfMatchAny}: whether {@code If-Match: *} satisfies the 428 policy. Default {@code true}. */
  public void setAcceptIfMatchAny(String value) {
    option("acceptIfMatchAny", value);
  }

  /** Option {@code missingPreconditionStatus}: 428 (default) or 403. */
  public void setMissingPreconditionStatus(String value) {
    option("missingPreconditionStatus", value);
  }

  /** Option {@code maxBufferSize}: the largest body held to compute its ETag. Default {@code 1MiB}. */
  public void setMaxBufferSize(String value) {
    option("maxBufferSize", value);
  }

  /** Option {@code permitTimeout}: the longest a write waits for its permit. Default {@code 10s}. */
  public void setPermitTimeout(String value) {
    option("permitTimeout", value);
  }

  /** Option {@code maxWaitersPerKey}: requests allowed to wait per resource. Default 256. */
  public void setMaxWaitersPerKey(String value) {
    option("maxWaitersPerKey", value);
  }

  /**
   * Option {@code readPermits}: whether GET and HEAD take a shared permit of their resource, so a
   * download never observes a write in progress. Default {@code false}.
   */
  public void setReadPermits(String value) {
    option("readPermits", value);
  }

  /**
   * Option {@code compressionMode}: {@code suffix}, {@code weaken} or {@code identity}, what a
   * strong tag becomes on an encoded (compressed) response. Default {@code suffix}.
   */
  public void setCompressionMode(String value) {
    option("compressionMode", value);
  }

  /** Option {@code validatorStoreSize}: resources whose validators are remembered. Default 100000. */
  public void setValidatorStoreSize(String value) {
    option("validatorStoreSize", value);
  }

  /** Option {@code keyQueryParameters}: query parameters that are part of a resource key. */
  public void setKeyQueryParameters(String value) {
    option("keyQueryParameters", value);
  }

  /**
   * Option {@code authoritativePaths}: paths whose every write passes through the guard, so a
   * conditional GET or HEAD of a resource the store knows is answered 304 or 412 from the store
   * without running the wrapped handler. Default none.
   */
  public void setAuthoritativePaths(String value) {
    option("authoritativePaths", value);
  }

  /**
   * Option {@code invalidationRules}: writes that change other resources too, e.g.
   * {@code /articles/{id} -> /articles}; their validators are dropped after such a write. Default none.
   */
  public void setInvalidationRules(String value) {
    option("invalidationRules", value);
  }

  /**
   * Option {@code retryRecognition}: whether a retry of a conditional write that already succeeded
   * is answered with that success instead of 412. Default {@code false} (see
   * {@link GuardSettings#retryRecognition()} for what it must see to recognize one).
   */
  public void setRetryRecognition(String value) {
    option("retryRecognition", value);
  }

  /**
   * Option {@code retryClientFields}: the request fields (comma-separated names) that tell one
   * client from another for {@code retryRecognition}. Default {@code Authorization,
   * Proxy-Authorization, Cookie, Idempotency-Key}.
   */
  public void setRetryClientFields(String value) {
    option("retryClientFields", value);
  }

  /**
   * Option {@code heuristicFreshness}: whether a response to which the guard adds Last-Modified,
   * and whose handler stated no freshness, may be reused by caches without revalidation; default
   * {@code false}, which adds {@code Cache-Control: no-cache} to it (see
   * {@link GuardSettings#heuristicFreshness()}).
   */
  public void setHeuristicFreshness(String value) {
    option("heuristicFreshness", value);
  }

  /**
   * Option {@code digestCacheSize}: the most bytes of recent bodies kept, the last per resource, so
   * an unchanged body's ETag is found by comparing bytes instead of hashing them ({@code 32MiB},
   * {@code 0} for none). Default 32 MiB.
   */
  public void setDigestCacheSize(String value) {
    option("digestCacheSize", value);
  }

  /**
   * Option {@code weakIfMatchPaths}: paths where If-Match uses weak comparison, for clients that
   * only have weak tags. Default none; logs a warning at start (see {@link GuardSettings#weakIfMatchPaths()}).
   */
  public void setWeakIfMatchPaths(String value) {
    option("weakIfMatchPaths", value);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Handler next = getHandler();
    GuardEngine e = engine;
    if (next == null) {
      return false;
    }
    if (e == null) {
      throw new IllegalStateException("ETagGuardHandler is not started");
    }
    if (request.getAttribute(GUARDED_ATTRIBUTE) != null) {
      return next.handle(request, response, callback);
    }
    Exchange exchange = Exchange.admit(e, new CoreRequestView(request));
    if (exchange == null) {
      return next.handle(request, response, callback);
    }
    request.setAttribute(GUARDED_ATTRIBUTE, Boolean.TRUE);
    if (exchange.holdsPermit()) {
      // Abandoned requests (idle timeout, client gone) must not keep a permit or a place in line.
      Request.addCompletionListener(request, failure -> exchange.close());
    }
    JettyHost host = new JettyHost(next, security, request, response, callback);
    exchange.run(host).whenComplete(host::completed);
    return host.handled();
  }

  /** Whether a security handler behind this one may refuse reads (see {@link #securedBehind(Handler)}). */
  private final SecurityWatch security = new SecurityWatch();

  /** Whether answers from the store are held back now: a security handler behind may refuse reads. */
  boolean securedBehind() {
    Handler next = getHandler();
    return next != null && security.securedBehind(next);
  }

  /**
   * Whether a Jetty {@code SecurityHandler} that may refuse a GET is behind {@code next}: it
   * decides who may read, after this handler, so the validator store must not answer first (see
   * {@link SecurityWatch#lookup(Handler)}).
   */
  static boolean securedBehind(Handler next) {
    return SecurityWatch.lookup(next);
  }
}
