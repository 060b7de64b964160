package dev.etagguard.servlet;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;

import dev.etagguard.Admission;
import dev.etagguard.Answer;
import dev.etagguard.GuardEngine;
import dev.etagguard.GuardSettings;
import dev.etagguard.Problem;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;
import dev.etagguard.http.EntityTag;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
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
 * <p>The current validators of a resource the store does not know are learned by an internal
 * GET: a {@code RequestDispatcher} forward to the same path, whose response never reaches the
 * client. Thread-safe.
 *
 * @since 0.1
 */
public class ETagGuardFilter implements Filter {

  /** Request attribute set on every request the guard has taken: its presence makes later guards pass. */
  public static final String GUARDED_ATTRIBUTE = "dev.etagguard.guarded";

  /**
   * Request attribute a handler may set to {@code Boolean.TRUE} before writing to have its
   * response streamed untouched (no generated ETag), e.g. for long-running streams.
   */
  public static final String STREAMING_ATTRIBUTE = "dev.etagguard.streaming";

  /** Prefix of context parameters that override init-params. */
  public static final String CONTEXT_PARAMETER_PREFIX = "dev.etagguard.";

  private static final System.Logger LOG = System.getLogger(ETagGuardFilter.class.getName());

  private volatile @Nullable GuardEngine engine;

  /** A filter configured from its init-params when the container initializes it. */
  public ETagGuardFilter() {
  }

  /** A filter with the given settings; init-params are ignored. */
  public ETagGuardFilter(GuardSettings settings) {
    this(GuardEngine.create(settings));
  }

  /** A filter driven by the given engine (custom SPIs); init-params are ignored. */
  public ETagGuardFilter(GuardEngine engine) {
    this.engine = engine;
  }

  /** The engine, once initialized. */
  public @Nullable GuardEngine engine() {
    return engine;
  }

  @Override
  public void init(FilterConfig config) throws ServletException {
    if (engine != null) {
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
    try {
      engine = GuardEngine.create(GuardSettings.fromOptions(options));
    } catch (IllegalArgumentException e) {
      throw new ServletException("ETag Guard filter '" + config.getFilterName() + "': " + e.getMessage(), e);
    }
    LOG.log(Level.DEBUG, () -> "ETag Guard filter '" + config.getFilterName() + "' started: " + engine);
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
    GuardEngine e = engine;
    if (e == null) {
      throw new ServletException("ETag Guard filter used before init()");
    }
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)
        || request.getDispatcherType() != DispatcherType.REQUEST || request.getAttribute(GUARDED_ATTRIBUTE) != null) {
      chain.doFilter(req, res);
      return;
    }
    Admission admission = e.admit(new ServletRequestView(request));
    if (admission.kind() == Admission.Kind.PASS) {
      chain.doFilter(req, res);
      return;
    }
    request.setAttribute(GUARDED_ATTRIBUTE, Boolean.TRUE);
    if (admission.rejection() != null) {
      send(response, admission.rejection());
      return;
    }
    if (admission.kind() == Admission.Kind.READ) {
      read(admission, request, response, chain);
    } else {
      write(admission, request, response, chain);
    }
  }

  // ---------------------------------------------------------------- reads

  private void read(Admission admission, HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    boolean head = "HEAD".equals(request.getMethod());
    ReadDecision[] early = new ReadDecision[1];
    CapturingResponse capture = new CapturingResponse(response, admission.maxBufferSize(), !head,
        admission.digestBody() ? admission.generator() : null, c -> {
          // The body outgrew the buffer: decide on the handler's own validators, then stream.
          early[0] = admission.completeRead(new ServletResponseView(c), null, -1);
          return applyEarly(early[0], c, response, head);
        });
    GuardedRequest guarded = GuardedRequest.forHandler(request, head, context -> capture.passThrough(), null);
    chain.doFilter(guarded, capture);
    if (request.isAsyncStarted() || capture.errorSent()) {
      return;
    }
    capture.flushWriter();
    CaptureStream body = capture.capture();
    if (!body.complete()) {
      return; // decided at the spill, body streamed or discarded
    }
    if (request.getAttribute(STREAMING_ATTRIBUTE) != null) {
      writeHeld(response, body, null, head, capture.declaredLength());
      return;
    }
    EntityTag digest = body.finishDigest();
    ReadDecision decision = admission.completeRead(new ServletResponseView(response), digest, body.count());
    switch (decision.action()) {
      case PASS -> writeHeld(response, body, null, head, capture.declaredLength());
      case FULL -> {
        setHeaders(response, decision.headers());
        writeHeld(response, body, null, head, -1);
      }
      case PARTIAL -> {
        ByteRange range = decision.range();
        setHeaders(response, decision.headers());
        response.setStatus(206);
        response.setHeader("Content-Range", range.contentRange(body.count()));
        writeHeld(response, body, range, head, -1);
      }
      case NOT_MODIFIED -> notModified(response, decision.headers());
      case REJECT -> {
        response.reset();
        send(response, decision.answer());
      }
    }
  }

  /** At the spill: apply a decision made on the handler's own validators; true to stream the body. */
  private static boolean applyEarly(ReadDecision decision, CapturingResponse capture, HttpServletResponse response,
      boolean head) throws IOException {
    switch (decision.action()) {
      case NOT_MODIFIED -> {
        notModified(response, decision.headers());
        return false;
      }
      case REJECT -> {
        response.reset();
        send(response, decision.answer());
        return false;
      }
      default -> {
        setHeaders(response, decision.headers());
        return !head;
      }
    }
  }

  private static void notModified(HttpServletResponse response, Map<String, String> headers) {
    response.setStatus(304);
    setHeaders(response, headers);
  }

  /** Writes the held body (or a range of it) to the real response, with its length. */
  private static void writeHeld(HttpServletResponse response, CaptureStream body, @Nullable ByteRange range,
      boolean head, long declaredLength) throws IOException {
    long count = body.count();
    if (range == null) {
      if (declaredLength >= 0 && count == 0) {
        response.setContentLengthLong(declaredLength); // e.g. a HEAD answered by the handler with a length
      } else if (count > 0 || response.getStatus() != 204 && response.getStatus() != 304) {
        response.setContentLengthLong(count);
      }
      if (!head && count > 0) {
        ServletOutputStream out = response.getOutputStream();
        out.write(body.buffer(), 0, (int) count);
      }
    } else {
      response.setContentLengthLong(range.length());
      if (!head) {
        response.getOutputStream().write(body.buffer(), (int) range.first(), (int) range.length());
      }
    }
  }

  // ---------------------------------------------------------------- writes

  private void write(Admission admission, HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    try {
      admission.acquire().join();
    } catch (CompletionException | java.util.concurrent.CancellationException failure) {
      admission.close();
      send(response, admission.unavailable(failure));
      return;
    }
    boolean async = false;
    try {
      if (admission.needsCurrentState()) {
        DetachedResponse current = internalGet(admission, request);
        CaptureStream body = current.capture();
        admission.learnCurrentState(current, body.finishDigest(), body.complete() ? body.count() : -1);
      }
      Answer refusal = admission.decide();
      if (refusal != null) {
        send(response, refusal);
        return;
      }
      boolean put = "PUT".equals(request.getMethod());
      CapturingResponse capture = new CapturingResponse(response, admission.maxBufferSize(), true, null, c -> true);
      GuardedRequest guarded = GuardedRequest.forHandler(request, false, context -> {
        capture.passThrough();
        context.addListener(new PermitRelease(admission));
      }, put ? admission.generator().start() : null);
      chain.doFilter(guarded, capture);
      if (request.isAsyncStarted()) {
        async = true;
        return;
      }
      capture.flushWriter();
      CaptureStream body = capture.capture();
      Map<String, String> headers = Map.of();
      if (!capture.errorSent() && admission.completeWrite(new ServletResponseView(response))) {
        DetachedResponse after = internalGet(admission, request);
        CaptureStream got = after.capture();
        headers = admission.learnAfterWrite(after, got.finishDigest(), got.complete() ? got.count() : -1,
            guarded.bodyTag());
      }
      if (!capture.errorSent() && body.complete()) {
        setHeaders(response, headers);
        writeHeld(response, body, null, false, capture.declaredLength());
      }
    } finally {
      if (!async) {
        admission.close();
      }
    }
  }

  /** Runs a GET of the request's resource through the application, detached from the client. */
  private static DetachedResponse internalGet(Admission admission, HttpServletRequest request)
      throws IOException {
    DetachedResponse detached = new DetachedResponse(admission.maxBufferSize(), admission.generator());
    RequestDispatcher dispatcher = request.getRequestDispatcher(ServletRequestView.pathInContext(request));
    if (dispatcher == null) {
      detached.setStatus(500);
      return detached;
    }
    try {
      dispatcher.forward(GuardedRequest.internalGet(request, admission.keyParameters()), detached);
    } catch (ServletException | RuntimeException e) {
      // The state stays unknown: every precondition then fails, and nothing is written.
      LOG.log(Level.DEBUG, () -> "Internal GET of " + admission.key() + " failed", e);
      detached.setStatus(500);
    }
    return detached;
  }

  // ---------------------------------------------------------------- answers

  private static void setHeaders(HttpServletResponse response, Map<String, String> headers) {
    headers.forEach(response::setHeader);
  }

  /** Writes one of the guard's own answers. */
  static void send(HttpServletResponse response, @Nullable Answer answer) throws IOException {
    if (answer == null) {
      return;
    }
    response.setStatus(answer.status());
    setHeaders(response, answer.headers());
    if (answer.problem() != null) {
      byte[] body = answer.body();
      response.setContentType(Problem.MEDIA_TYPE);
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    }
  }

  @Override
  public void destroy() {
    // Nothing to release: permits are released per request, the store is garbage.
  }

  /** Releases a write's permit when its async processing ends, however it ends. */
  private record PermitRelease(Admission admission) implements AsyncListener {
    @Override
    public void onComplete(AsyncEvent event) {
      admission.close();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      admission.close();
    }

    @Override
    public void onError(AsyncEvent event) {
      admission.close();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      // A re-started async cycle keeps the listener registered.
      event.getAsyncContext().addListener(this);
    }
  }
}
