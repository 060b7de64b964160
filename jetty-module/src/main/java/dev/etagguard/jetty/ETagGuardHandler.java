package dev.etagguard.jetty;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.etagguard.Exchange;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.GuardListener;

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
 * <p>Configured with the {@link GuardSettings#options() options} by name through
 * {@link #setOption(String, String)} (Jetty XML {@code <Call name="setOption">}, as the jetty-home
 * module's {@code etc/etag-guard.xml} does), all taking strings; blank means default. Or construct
 * it with {@link #ETagGuardHandler(GuardSettings)} or {@link #ETagGuardHandler(GuardEngine)}.
 * Settings are frozen at start.
 *
 * <p>Non-blocking: a write (or, with the option {@code readPermits}, a read) waiting for its
 * resource's permit holds no thread; it continues on the server's executor when the permit is
 * granted. Bodies beyond {@code maxBufferSize} stream with the real response's callbacks, so
 * demand and back-pressure hold. The permit is released when the request's callback completes,
 * succeeded or failed. A write's request content is received in full before its permit is
 * taken (read with demand callbacks; up to 64 KiB in memory, beyond that in a temporary file
 * deleted when the exchange completes), so a client that sends slowly holds no permit; a client
 * that fails to send its content gets a 400, with no permit taken. Content read under the permit
 * (after {@code Expect: 100-continue}, or beyond the 8 MiB received first) must keep up with the
 * option {@code minContentRate}, else the client gets 408 and the permit goes to the next writer.
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
  /** The listener of the engine made from options, if one was set. */
  private @Nullable GuardListener listener;
  /** Whether the engine was closed by a stop, so a restart makes a new one. */
  private volatile boolean engineClosed;

  /** A handler configured by {@link #setOption(String, String)}, built at start. */
  public ETagGuardHandler() {
    this.fixedEngine = false;
    this.givenSettings = null;
    addEventListener(security);
  }

  /** A handler with the given settings; options are not used. Its engine is closed when it stops. */
  public ETagGuardHandler(GuardSettings settings) {
    this.fixedEngine = true;
    this.givenSettings = settings;
    this.engine = GuardEngine.create(settings);
    addEventListener(security);
  }

  /**
   * A handler driven by the given engine (custom SPIs); options are not used. The engine is its
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
      GuardListener l = listener;
      engine = GuardEngine.builder(GuardSettings.fromOptions(options)).listener(l != null ? l : GuardListener.none())
          .build();
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

  /**
   * Sets an option of {@link GuardSettings#options()} by its name, as {@code etc/etag-guard.xml}
   * does for each {@code jetty.etagGuard.NAME} property:
   * {@code <Call name="setOption"><Arg>guardedPaths</Arg><Arg>/articles/*</Arg></Call>}. Blank means
   * the default. Values are read at start: an unknown name or a malformed value fails the start with
   * a message naming it.
   *
   * @throws IllegalStateException once started, or for a handler made with settings or an engine
   */
  public void setOption(String name, @Nullable String value) {
    if (isStarted()) {
      throw new IllegalStateException("ETag Guard options are frozen once started: " + name);
    }
    if (fixedEngine) {
      throw new IllegalStateException("This handler was built with fixed settings: " + name);
    }
    options.put(name, value == null ? "" : value);
  }

  /**
   * Sets the listener of the engine this handler makes from its options at start (metrics, logs);
   * none by default. A handler given settings or an engine takes its listener from there.
   *
   * @throws IllegalStateException once started, or for a handler made with settings or an engine
   * @since 0.1
   */
  public void setListener(GuardListener listener) {
    if (isStarted()) {
      throw new IllegalStateException("ETag Guard's listener is frozen once started");
    }
    if (fixedEngine) {
      throw new IllegalStateException("This handler was built with fixed settings: its listener is the engine's");
    }
    this.listener = listener;
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
    JettyHost host = new JettyHost(next, security, exchange, request, response, callback);
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
