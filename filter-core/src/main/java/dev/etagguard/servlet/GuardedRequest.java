package dev.etagguard.servlet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import dev.etagguard.ContentRate;
import dev.etagguard.Exchange;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import org.jspecify.annotations.Nullable;

/**
 * The request as the handler sees it behind the guard. Three uses: a HEAD run as GET (method
 * changed, headers kept); an internal GET (method changed, conditional, range and body headers
 * removed, no body); and a write whose body is digested as the handler reads it. Every use
 * learns when the handler starts async processing.
 */
final class GuardedRequest extends HttpServletRequestWrapper {

  /** Called on the request thread when async processing has started, before the handler goes on. */
  interface AsyncStart {
    /**
     * @param context the container's context
     * @return the context the handler gets (the same, or one that tells the guard of its end)
     */
    AsyncContext onStartAsync(AsyncContext context) throws IOException;
  }

  private final @Nullable String method;
  private final boolean internal;
  private final Set<String> keyParameters;
  private final @Nullable AsyncStart asyncStart;
  private final EntityTagGenerator.@Nullable Digest bodyDigest;
  private final @Nullable ServletResponse response;
  private @Nullable SpooledContent spooled;
  /** The pace the client's content must keep while a write reads it under its permit; {@code null} elsewhere. */
  private @Nullable ContentRate rate;
  private @Nullable ServletInputStream spooledStream;
  private @Nullable DigestingInputStream input;
  private @Nullable BufferedReader reader;
  private @Nullable AsyncContext handedOut;
  private Set<String> hiddenFields = Set.of();

  // An internal GET's own async processing and attributes, never the client's request's.
  private @Nullable ServletResponse internalResponse;
  private @Nullable InternalAsync internalAsync;
  private boolean internalAsyncStarted;
  private boolean asyncDispatch;
  private volatile boolean resumedRequest;

  /** The request attributes of an ASYNC dispatch ({@code AsyncContext.ASYNC_REQUEST_URI} and its kin). */
  private static final String ASYNC_ATTRIBUTES = "jakarta.servlet.async.";
  private final java.util.Map<String, Object> attributes = new java.util.HashMap<>();
  private final Set<String> removedAttributes = new java.util.HashSet<>();

  private GuardedRequest(HttpServletRequest request, @Nullable String method, boolean internal,
      Set<String> keyParameters, @Nullable AsyncStart asyncStart, EntityTagGenerator.@Nullable Digest bodyDigest,
      @Nullable ServletResponse response) {
    super(request);
    this.method = method;
    this.internal = internal;
    this.keyParameters = keyParameters;
    this.asyncStart = asyncStart;
    this.bodyDigest = bodyDigest;
    this.response = response;
  }

  /**
   * The request as the handler sees it: HEAD as GET, body digested if {@code bodyDigest} is set.
   * Async processing the handler starts without naming a request and response keeps these
   * wrappers ({@code response} is the guard's), so what it writes later still reaches the guard.
   */
  static GuardedRequest forHandler(HttpServletRequest request, ServletResponse response, boolean headAsGet,
      AsyncStart asyncStart, EntityTagGenerator.@Nullable Digest bodyDigest) {
    return new GuardedRequest(request, headAsGet ? "GET" : null, false, Set.of(), asyncStart, bodyDigest, response);
  }

  /**
   * An internal GET of the same resource: no conditions, no body, of the query only the
   * parameters that are part of the resource key, async processing of its own
   * ({@link InternalAsync}), and attributes that it sets kept to itself.
   */
  static GuardedRequest internalGet(HttpServletRequest request, Set<String> keyParameters) {
    return new GuardedRequest(request, "GET", true, keyParameters, null, null, null);
  }

  /** The internal GET's async processing, if its handler started one and has not ended the cycle. */
  @Nullable InternalAsync startedInternalAsync() {
    return internalAsyncStarted ? internalAsync : null;
  }

  /** The internal GET's async processing if its handler ever started one, to be told of the end. */
  @Nullable InternalAsync internalAsyncUsed() {
    return internalAsync;
  }

  /** The internal GET goes on as an ASYNC dispatch: the handler sees its cycle ended. */
  void beginInternalDispatch() {
    internalAsyncStarted = false;
    asyncDispatch = true;
  }

  /**
   * The handler runs in the ASYNC dispatch that resumed a request suspended while it waited for
   * its permit: it is the request's first run of the handler, and says so ({@code REQUEST}).
   */
  GuardedRequest resumed(boolean resumed) {
    this.resumedRequest = resumed;
    return this;
  }

  @Override
  public DispatcherType getDispatcherType() {
    if (asyncDispatch) {
      return DispatcherType.ASYNC;
    }
    // Resumed: the ASYNC dispatch that resumed it is the request's own; a forward or include the
    // handler makes in it is one.
    DispatcherType type = super.getDispatcherType();
    return resumedRequest && type == DispatcherType.ASYNC ? DispatcherType.REQUEST : type;
  }

  @Override
  public @Nullable Object getAttribute(String name) {
    if (!internal) {
      // A resumed request's dispatch is its own REQUEST one: not the ASYNC one the container made.
      return resumedRequest && name.startsWith(ASYNC_ATTRIBUTES) ? null : super.getAttribute(name);
    }
    Object own = attributes.get(name);
    return own != null || removedAttributes.contains(name) ? own : super.getAttribute(name);
  }

  @Override
  public Enumeration<String> getAttributeNames() {
    if (!internal) {
      if (!resumedRequest) {
        return super.getAttributeNames();
      }
      List<String> names = Collections.list(super.getAttributeNames());
      names.removeIf(name -> name.startsWith(ASYNC_ATTRIBUTES));
      return Collections.enumeration(names);
    }
    Set<String> names = new java.util.LinkedHashSet<>(Collections.list(super.getAttributeNames()));
    names.removeAll(removedAttributes);
    names.addAll(attributes.keySet());
    return Collections.enumeration(names);
  }

  @Override
  public void setAttribute(String name, @Nullable Object value) {
    if (!internal) {
      super.setAttribute(name, value);
    } else if (value == null) {
      removeAttribute(name);
    } else {
      attributes.put(name, value);
      removedAttributes.remove(name);
    }
  }

  @Override
  public void removeAttribute(String name) {
    if (!internal) {
      super.removeAttribute(name);
    } else {
      attributes.remove(name);
      removedAttributes.add(name);
    }
  }

  @Override
  public @Nullable String getQueryString() {
    if (!internal) {
      return super.getQueryString();
    }
    StringBuilder sb = new StringBuilder();
    for (java.util.Map.Entry<String, String[]> e : getParameterMap().entrySet()) {
      for (String v : e.getValue()) {
        if (sb.length() > 0) {
          sb.append('&');
        }
        sb.append(java.net.URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
            .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  @Override
  public java.util.Map<String, String[]> getParameterMap() {
    if (!internal) {
      return super.getParameterMap();
    }
    java.util.Map<String, String[]> map = new java.util.LinkedHashMap<>();
    for (String name : keyParameters) {
      String[] values = super.getParameterValues(name);
      if (values != null) {
        map.put(name, values);
      }
    }
    return Collections.unmodifiableMap(map);
  }

  @Override
  public @Nullable String getParameter(String name) {
    if (!internal) {
      return super.getParameter(name);
    }
    String[] values = getParameterMap().get(name);
    return values == null || values.length == 0 ? null : values[0];
  }

  @Override
  public Enumeration<String> getParameterNames() {
    return internal ? Collections.enumeration(getParameterMap().keySet()) : super.getParameterNames();
  }

  @Override
  public String @Nullable [] getParameterValues(String name) {
    return internal ? getParameterMap().get(name) : super.getParameterValues(name);
  }

  /**
   * The handler of a write reads this content, received by the guard, instead of the container's
   * stream, and what it reads from the client at no less than {@code rate}; returns this.
   */
  GuardedRequest reading(@Nullable SpooledContent content, ContentRate rate) {
    this.spooled = content;
    this.rate = rate;
    return this;
  }

  private ServletInputStream source() throws IOException {
    if (rate == null) {
      return super.getInputStream();
    }
    if (spooledStream == null) {
      spooledStream = spooled != null ? spooled.open(rate) : new MeteredInput(super.getInputStream(), rate);
    }
    return spooledStream;
  }

  /** Hides these request fields (lower case) from the handler (see {@code Exchange.Host#read}); returns this. */
  GuardedRequest hiding(Set<String> fields) {
    this.hiddenFields = fields;
    return this;
  }

  @Override
  public String getMethod() {
    return method != null ? method : super.getMethod();
  }

  @Override
  public @Nullable String getHeader(String name) {
    return hidden(name) ? null : super.getHeader(name);
  }

  @Override
  public Enumeration<String> getHeaders(String name) {
    return hidden(name) ? Collections.emptyEnumeration() : super.getHeaders(name);
  }

  @Override
  public Enumeration<String> getHeaderNames() {
    if (!internal && hiddenFields.isEmpty()) {
      return super.getHeaderNames();
    }
    java.util.List<String> names = Collections.list(super.getHeaderNames());
    names.removeIf(this::hidden);
    return Collections.enumeration(names);
  }

  @Override
  public long getDateHeader(String name) {
    return hidden(name) ? -1 : super.getDateHeader(name);
  }

  @Override
  public int getIntHeader(String name) {
    return hidden(name) ? -1 : super.getIntHeader(name);
  }

  @Override
  public int getContentLength() {
    return internal ? -1 : super.getContentLength();
  }

  @Override
  public long getContentLengthLong() {
    return internal ? -1 : super.getContentLengthLong();
  }

  @Override
  public @Nullable String getContentType() {
    return internal ? null : super.getContentType();
  }

  private boolean hidden(String name) {
    return internal ? Exchange.INTERNAL_GET_HIDDEN_FIELDS.contains(name.toLowerCase(Locale.ROOT))
        : !hiddenFields.isEmpty() && hiddenFields.contains(name.toLowerCase(Locale.ROOT));
  }

  @Override
  public ServletInputStream getInputStream() throws IOException {
    if (internal) {
      return new DigestingInputStream(null, null);
    }
    if (bodyDigest == null) {
      return source();
    }
    if (reader != null) {
      throw new IllegalStateException("getReader() has already been called for this request");
    }
    if (input == null) {
      input = new DigestingInputStream(source(), bodyDigest);
    }
    return input;
  }

  @Override
  public BufferedReader getReader() throws IOException {
    if (internal) {
      return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }
    if (bodyDigest == null) {
      if (rate == null) {
        return super.getReader();
      }
      if (reader == null) {
        reader = new BufferedReader(new InputStreamReader(source(), Charsets.orLatin1(getCharacterEncoding())));
      }
      return reader;
    }
    if (reader == null) {
      if (input != null) {
        throw new IllegalStateException("getInputStream() has already been called for this request");
      }
      input = new DigestingInputStream(source(), bodyDigest);
      reader = new BufferedReader(new InputStreamReader(input, Charsets.orLatin1(getCharacterEncoding())));
    }
    return reader;
  }

  /** The generated tag of the request body if the handler read it to the end, else {@code null}. */
  @Nullable EntityTag bodyTag() {
    return input == null ? null : input.finish();
  }

  /**
   * The bytes of request body the handler read through this request, when it read them to the
   * end (call after {@link #bodyTag()}): {@code 0} when it never opened the body, {@code -1} when
   * it stopped early or read without the digest (non-blocking).
   */
  long bodyLength() {
    return input == null ? 0 : input.finished ? input.count : -1;
  }

  @Override
  public AsyncContext startAsync() throws IllegalStateException {
    if (internal) {
      return startInternalAsync(this, Objects.requireNonNull(internalResponse), true);
    }
    return started(response != null ? super.startAsync(this, response) : super.startAsync());
  }

  @Override
  public AsyncContext startAsync(ServletRequest servletRequest, ServletResponse servletResponse) {
    if (internal) {
      return startInternalAsync(servletRequest, servletResponse, false);
    }
    return started(super.startAsync(servletRequest, servletResponse));
  }

  /** The response of the internal GET, for {@link #startAsync()}. */
  void internalResponse(ServletResponse detached) {
    internalResponse = detached;
  }

  private AsyncContext startInternalAsync(ServletRequest servletRequest, ServletResponse servletResponse,
      boolean original) {
    if (internalAsyncStarted) {
      throw new IllegalStateException("Async processing has already been started");
    }
    if (internalAsync == null) {
      internalAsync = new InternalAsync(servletRequest, servletResponse, original);
    } else {
      internalAsync.restart();
    }
    internalAsyncStarted = true;
    asyncDispatch = false;
    return internalAsync;
  }

  @Override
  public boolean isAsyncStarted() {
    return internal ? internalAsyncStarted : super.isAsyncStarted();
  }

  @Override
  public boolean isAsyncSupported() {
    return internal || super.isAsyncSupported();
  }

  @Override
  public AsyncContext getAsyncContext() {
    if (internal) {
      if (!internalAsyncStarted || internalAsync == null) {
        throw new IllegalStateException("Async processing has not been started");
      }
      return internalAsync;
    }
    AsyncContext context = super.getAsyncContext();
    return handedOut != null && super.isAsyncStarted() ? handedOut : context;
  }

  private AsyncContext started(AsyncContext context) {
    if (asyncStart == null) {
      return context;
    }
    try {
      handedOut = asyncStart.onStartAsync(context);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return handedOut;
  }

  /** Digests the body as it is read; the digest counts only if the body was read to the end. */
  private static final class DigestingInputStream extends ServletInputStream {
    private final @Nullable ServletInputStream in;
    private EntityTagGenerator.@Nullable Digest digest;
    private boolean eof;
    private long count;
    private boolean finished;

    DigestingInputStream(@Nullable ServletInputStream in, EntityTagGenerator.@Nullable Digest digest) {
      this.in = in;
      this.digest = digest;
      this.eof = in == null;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (in == null) {
        return -1;
      }
      int n = in.read(b, off, len);
      if (n < 0) {
        eof = true;
      } else {
        count += n;
        if (digest != null) {
          digest.update(b, off, n);
        }
      }
      return n;
    }

    @Nullable EntityTag finish() {
      if (!(eof || (in != null && in.isFinished())) || digest == null) {
        return null;
      }
      EntityTag tag = digest.finish();
      digest = null;
      finished = true;
      return tag;
    }

    @Override
    public boolean isFinished() {
      return in == null || in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in == null || in.isReady();
    }

    @Override
    public void setReadListener(ReadListener readListener) {
      if (in == null) {
        throw new IllegalStateException("No body");
      }
      // Non-blocking reads bypass the digest; the write then gets no ETag on its response.
      digest = null;
      in.setReadListener(readListener);
    }
  }
}
