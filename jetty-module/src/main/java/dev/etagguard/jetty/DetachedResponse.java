package dev.etagguard.jetty;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import dev.etagguard.BodyBuffer;
import dev.etagguard.Exchange;
import dev.etagguard.http.EntityTag;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * The response of an internal GET: nothing reaches the client. Status and headers are its own;
 * the body is digested (up to the buffer limit) and discarded.
 */
final class DetachedResponse extends Response.Wrapper implements Exchange.Captured {

  private final HttpFields.Mutable headers = HttpFields.build();
  private final BodyBuffer body;
  private int status = 200;
  private boolean complete = true;
  private boolean committed;
  private boolean last;
  private @Nullable Supplier<HttpFields> trailers;

  DetachedResponse(Request request, Response response, BodyBuffer body) {
    super(request, response);
    this.body = body;
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public @Nullable String header(String name) {
    return headers.get(name);
  }

  BodyBuffer body() {
    return body;
  }

  /** Whether the whole body was digested (it fit the limit). */
  @Override
  public boolean held() {
    return complete;
  }

  @Override
  public long length() {
    return body.count();
  }

  @Override
  public @Nullable EntityTag digest() {
    return complete ? body.finishDigest() : null;
  }

  /** Records a failure of the internal request: the state stays unknown. */
  void failed() {
    status = 500;
  }

  @Override
  public int getStatus() {
    return status;
  }

  @Override
  public void setStatus(int code) {
    if (!committed) {
      status = code;
    }
  }

  @Override
  public HttpFields.Mutable getHeaders() {
    return headers;
  }

  @Override
  public @Nullable Supplier<HttpFields> getTrailersSupplier() {
    return trailers;
  }

  @Override
  public void setTrailersSupplier(@Nullable Supplier<HttpFields> trailers) {
    this.trailers = trailers;
  }

  @Override
  public boolean isCommitted() {
    return committed;
  }

  @Override
  public boolean hasLastWrite() {
    return last;
  }

  @Override
  public boolean isCompletedSuccessfully() {
    return last;
  }

  @Override
  public void reset() {
    if (committed) {
      throw new IllegalStateException("Committed");
    }
    status = 200;
    headers.clear();
    body.reset();
    complete = true;
  }

  @Override
  public CompletableFuture<Void> writeInterim(int code, HttpFields fields) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Marks a written buffer consumed, as a sink does: a writer that reuses its buffer (the servlet
   * layer's aggregation buffer) appends after what remains, and writes what remains again.
   */
  static void consume(@Nullable ByteBuffer buffer) {
    if (buffer != null) {
      buffer.position(buffer.limit());
    }
  }

  @Override
  public void write(boolean lastWrite, @Nullable ByteBuffer buffer, Callback callback) {
    committed = true;
    last |= lastWrite;
    if (buffer != null && buffer.hasRemaining() && complete && !body.append(buffer)) {
      complete = false;
      body.abandonDigest();
    }
    consume(buffer);
    callback.succeeded();
  }
}
