package dev.etagguard.jetty;

import java.util.Locale;
import java.util.Set;

import dev.etagguard.Exchange;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Components;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Attributes;
import org.jspecify.annotations.Nullable;

/**
 * The request as the handler sees it behind the guard: a HEAD run as GET, an internal GET
 * (conditional, range and body headers removed, no body, only the key's query parameters), or a
 * write whose body is digested as the handler reads it.
 */
final class GuardedRequest extends Request.Wrapper {

  private final String method;
  private final @Nullable HttpFields headers;
  private final @Nullable HttpURI uri;
  private EntityTagGenerator.@Nullable Digest bodyDigest;
  private boolean bodyComplete;
  private boolean opened;
  private boolean digested;
  private long bodyLength;
  /** An internal GET's own attributes over the request's: what its handlers set stays with it. */
  private final @Nullable Attributes attributes;
  /** Whether this is an internal GET: no body, its own attributes and per-connection cache. */
  private final boolean internal;

  private GuardedRequest(Request request, String method, @Nullable HttpFields headers, @Nullable HttpURI uri,
      EntityTagGenerator.@Nullable Digest bodyDigest) {
    this(request, method, headers, uri, bodyDigest, headers != null);
  }

  private GuardedRequest(Request request, String method, @Nullable HttpFields headers, @Nullable HttpURI uri,
      EntityTagGenerator.@Nullable Digest bodyDigest, boolean internal) {
    super(request);
    this.internal = internal;
    this.method = method;
    this.headers = headers;
    this.uri = uri;
    this.bodyDigest = bodyDigest;
    // An error page rendered for one dispatch (a servlet context records the error in request
    // attributes) must not turn the next dispatch of the same request into an error dispatch.
    this.attributes = internal ? new Attributes.Layer(request) : null;
  }

  /**
   * A read as the handler sees it: HEAD as GET when {@code headAsGet}, and without the
   * {@code hidden} fields (lower case; see {@code Admission.hiddenFields}).
   */
  static GuardedRequest reading(Request request, boolean headAsGet, Set<String> hidden) {
    String method = headAsGet ? "GET" : request.getMethod();
    if (hidden.isEmpty()) {
      return new GuardedRequest(request, method, null, null, null);
    }
    HttpFields.Mutable fields = HttpFields.build();
    for (var field : request.getHeaders()) {
      if (!hidden.contains(field.getLowerCaseName())) {
        fields.add(field);
      }
    }
    return new GuardedRequest(request, method, fields.asImmutable(), null, null, false);
  }

  /** The write itself, its body digested. */
  static GuardedRequest digesting(Request request, EntityTagGenerator.Digest digest) {
    return new GuardedRequest(request, request.getMethod(), null, null, digest);
  }

  /** A GET of the same resource for the guard's own use. */
  static GuardedRequest internalGet(Request request, Set<String> keyParameters) {
    HttpFields.Mutable fields = HttpFields.build();
    for (var field : request.getHeaders()) {
      if (!Exchange.INTERNAL_GET_HIDDEN_FIELDS.contains(field.getLowerCaseName())) {
        fields.add(field);
      }
    }
    HttpURI original = request.getHttpURI();
    String query = keyQuery(original.getQuery(), keyParameters);
    HttpURI uri = HttpURI.build(original).query(query).asImmutable();
    return new GuardedRequest(request, "GET", fields.asImmutable(), uri, null);
  }

  private static @Nullable String keyQuery(@Nullable String query, Set<String> keyParameters) {
    if (query == null || keyParameters.isEmpty()) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
      if (keyParameters.contains(name)) {
        if (sb.length() > 0) {
          sb.append('&');
        }
        sb.append(pair);
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  @Override
  public String getMethod() {
    return method;
  }

  @Override
  public @Nullable Object getAttribute(String name) {
    return attributes != null ? attributes.getAttribute(name) : super.getAttribute(name);
  }

  @Override
  public @Nullable Object setAttribute(String name, @Nullable Object attribute) {
    return attributes != null ? attributes.setAttribute(name, attribute) : super.setAttribute(name, attribute);
  }

  @Override
  public @Nullable Object removeAttribute(String name) {
    return attributes != null ? attributes.removeAttribute(name) : super.removeAttribute(name);
  }

  @Override
  public Set<String> getAttributeNameSet() {
    return attributes != null ? attributes.getAttributeNameSet() : super.getAttributeNameSet();
  }

  @Override
  public void clearAttributes() {
    if (attributes != null) {
      attributes.clearAttributes();
    } else {
      super.clearAttributes();
    }
  }

  @Override
  public Components getComponents() {
    if (!internal) {
      return super.getComponents();
    }
    // A fresh per-connection cache: handlers that reuse per-connection state (a servlet context's
    // channel) must not share it between the internal GET and the request that asked for it.
    Components components = super.getComponents();
    Attributes cache = new Attributes.Mapped();
    return new Components() {
      @Override
      public org.eclipse.jetty.io.ByteBufferPool getByteBufferPool() {
        return components.getByteBufferPool();
      }

      @Override
      public org.eclipse.jetty.util.thread.Scheduler getScheduler() {
        return components.getScheduler();
      }

      @Override
      @SuppressWarnings("removal")
      public org.eclipse.jetty.util.thread.ThreadPool getThreadPool() {
        return components.getThreadPool();
      }

      @Override
      public java.util.concurrent.Executor getExecutor() {
        return components.getExecutor();
      }

      @Override
      public Attributes getCache() {
        return cache;
      }
    };
  }

  @Override
  public HttpFields getHeaders() {
    return headers != null ? headers : super.getHeaders();
  }

  @Override
  public HttpURI getHttpURI() {
    return uri != null ? uri : super.getHttpURI();
  }

  @Override
  public long getLength() {
    return internal ? 0 : super.getLength();
  }

  @Override
  public Content.Chunk read() {
    if (internal) {
      return Content.Chunk.EOF;
    }
    Content.Chunk chunk = super.read();
    opened = true;
    if (chunk != null && bodyDigest != null) {
      if (Content.Chunk.isFailure(chunk)) {
        bodyDigest = null;
      } else {
        if (chunk.hasRemaining()) {
          bodyLength += chunk.remaining();
          bodyDigest.update(chunk.getByteBuffer().duplicate());
        }
        if (chunk.isLast()) {
          bodyComplete = true;
        }
      }
    }
    return chunk;
  }

  @Override
  public boolean consumeAvailable() {
    // An internal GET has no body; consuming must never reach the write's own body.
    return internal || super.consumeAvailable();
  }

  @Override
  public @Nullable HttpFields getTrailers() {
    return internal ? null : super.getTrailers();
  }

  @Override
  public void demand(Runnable demandCallback) {
    if (internal) {
      demandCallback.run();
      return;
    }
    super.demand(demandCallback);
  }

  /** The generated tag of the request body, if the handler read all of it. */
  @Nullable EntityTag bodyTag() {
    if (!bodyComplete || bodyDigest == null) {
      return null;
    }
    EntityTag tag = bodyDigest.finish();
    bodyDigest = null;
    digested = true;
    return tag;
  }

  /**
   * The bytes of request body the handler read, when it read them to the end (call after
   * {@link #bodyTag()}): {@code 0} when it never read, {@code -1} when it stopped early or a
   * read failed.
   */
  long bodyLength() {
    return !opened ? 0 : digested ? bodyLength : -1;
  }

  @Override
  public String toString() {
    return "GuardedRequest{" + method.toUpperCase(Locale.ROOT) + " " + getHttpURI() + "}";
  }
}
