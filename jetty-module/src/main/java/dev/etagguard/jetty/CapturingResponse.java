package dev.etagguard.jetty;

import java.nio.ByteBuffer;

import dev.etagguard.BodyBuffer;
import dev.etagguard.Exchange;
import dev.etagguard.http.EntityTag;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Holds a handler's response body until the guard has decided, digesting it on the way. Status
 * and headers go to the real response (uncommitted while the body is held). When the body
 * outgrows the buffer, {@link Spill} decides: stream the rest with the real response's
 * callbacks (so demand and back-pressure hold), or discard it because an answer replaces it.
 */
final class CapturingResponse extends Response.Wrapper implements Exchange.Captured {

  /** Decides at the spill whether the body streams; sets headers on the real response as needed. */
  interface Spill {
    /** @return {@code true} to stream the body, {@code false} to discard it */
    boolean onSpill(CapturingResponse response);
  }

  private enum Mode { HOLDING, STREAMING, DISCARDING }

  private final BodyBuffer body;
  private final Spill spill;
  private final boolean head;
  private Mode mode = Mode.HOLDING;
  /** Whether the handler made its last write while the body was held or discarded. */
  private boolean completed;
  /** The bytes the handler wrote past the buffer that were not sent: a HEAD's, or a body an answer replaces. */
  private long discarded;
  private boolean answered;
  private @Nullable Throwable failure;
  private @Nullable EntityTag contentTag;
  private long contentLength = -1;

  CapturingResponse(Request request, Response response, BodyBuffer body, boolean head, Spill spill) {
    super(request, response);
    this.head = head;
    this.spill = spill;
    this.body = body;
  }

  @Override
  public int status() {
    // Jetty reports 0 until a status is set; it sends 200 then.
    int status = getStatus();
    return status == 0 ? 200 : status;
  }

  @Override
  public @Nullable String header(String name) {
    return getHeaders().get(name);
  }

  @Override
  public java.util.List<String> headers(String name) {
    return getHeaders().getValuesList(name);
  }

  BodyBuffer body() {
    return body;
  }

  @Override
  public boolean held() {
    return mode == Mode.HOLDING;
  }

  @Override
  public long length() {
    return body.count();
  }

  @Override
  public @Nullable EntityTag digest() {
    return mode == Mode.HOLDING ? body.finishDigest() : null;
  }

  @Override
  public boolean answered() {
    return answered;
  }

  @Override
  public @Nullable EntityTag contentTag() {
    return contentTag;
  }

  @Override
  public long contentLength() {
    return contentLength;
  }

  @Override
  public @Nullable Throwable failure() {
    return failure;
  }

  /** The handler did not handle the request: the host answered (404). */
  CapturingResponse notHandled() {
    answered = true;
    return this;
  }

  /** The host answered in place of the handler's response (408: its content came too slowly). */
  CapturingResponse answeredInstead() {
    answered = true;
    return this;
  }

  /** The handler failed after its last write: the complete response goes out, then the failure. */
  CapturingResponse failedAfter(Throwable x) {
    failure = x;
    return this;
  }

  /** The request content as the write's handler read it: its tag and length. */
  CapturingResponse content(@Nullable EntityTag tag, long length) {
    contentTag = tag;
    contentLength = length;
    return this;
  }

  /** Whether the whole body is held (or counted and digested, for HEAD). */
  boolean holding() {
    return mode == Mode.HOLDING;
  }

  /**
   * Whether the handler made its last write: its response is complete, as if committed and sent.
   */
  boolean completed() {
    return completed;
  }

  /**
   * Streaming: the real response's state. Held or discarded: committed once the handler's last
   * write is made, as a real response would be by then, so nothing behind the guard resets the
   * complete response it holds to write an error page instead (Jetty's servlet layer does, when
   * it miscounts what the {@code DefaultServlet} wrote through the core response).
   */
  @Override
  public boolean isCommitted() {
    return mode == Mode.STREAMING ? super.isCommitted() : completed;
  }

  @Override
  public void reset() {
    if (mode == Mode.HOLDING) {
      super.reset();
      body.reset();
    } else {
      super.reset();
    }
  }

  @Override
  public void write(boolean last, @Nullable ByteBuffer buffer, Callback callback) {
    switch (mode) {
      case HOLDING -> {
        completed |= last;
        if (body.count() == 0 && buffer != null) {
          body.expectLength(getHeaders().getLongField(HttpHeader.CONTENT_LENGTH));
        }
        if (buffer == null || !buffer.hasRemaining() || body.append(buffer)) {
          DetachedResponse.consume(buffer);
          callback.succeeded();
          return;
        }
        body.abandonDigest();
        if (!spill.onSpill(this)) {
          mode = Mode.DISCARDING;
          body.release();
          discarded += buffer.remaining();
          DetachedResponse.consume(buffer);
          callback.succeeded();
          return;
        }
        completed = false; // the real response completes it now
        mode = Mode.STREAMING;
        if (head) {
          // HEAD: the headers go out with the completion, the body never.
          mode = Mode.DISCARDING;
          completed = last;
          discarded += buffer.remaining();
          DetachedResponse.consume(buffer);
          callback.succeeded();
          return;
        }
        ByteBuffer held = body.slice(0, body.count());
        body.release();
        super.write(false, held, Callback.from(() -> super.write(last, buffer, callback), callback::failed));
      }
      case STREAMING -> super.write(last, buffer, callback);
      case DISCARDING -> {
        completed |= last;
        discarded += buffer == null ? 0 : buffer.remaining();
        DetachedResponse.consume(buffer);
        callback.succeeded();
      }
    }
  }

  /** Whether the body was discarded at the spill (an answer replaces it) rather than streamed. */
  boolean discarding() {
    return mode == Mode.DISCARDING;
  }

  /**
   * Ends a streamed response, or a HEAD whose body was discarded: its headers go out with this
   * last write, before any failure the caller passes on after it. Such a HEAD declares the length
   * its GET has (RFC 9110 8.6) unless the handler declared one: Jetty would declare the none it
   * wrote.
   */
  void finishPassedOn(Callback callback) {
    if (mode != Mode.HOLDING && !getWrapped().hasLastWrite()) {
      if (head && mode == Mode.DISCARDING && !getHeaders().contains(HttpHeader.CONTENT_LENGTH)) {
        getHeaders().put(HttpHeader.CONTENT_LENGTH, body.count() + discarded);
      }
      super.write(true, null, callback);
    } else {
      callback.succeeded();
    }
  }
}
