package dev.etagguard.servlet;

import java.io.IOException;

import dev.etagguard.BodyBuffer;
import dev.etagguard.http.EntityTag;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;

import org.jspecify.annotations.Nullable;

/**
 * The body sink of a captured response: digests what is written while holding it (up to a
 * limit) or only counting it; past the limit, asks its owner whether to stream the rest to the
 * real output or discard it. Memory stays at most the limit for any body size.
 */
final class CaptureStream extends ServletOutputStream {

  /** What to do when the body outgrows the buffer. */
  interface Overflow {
    /**
     * Called once, when the body no longer fits.
     *
     * @return the stream to write the held bytes and the rest to, or {@code null} to discard them
     */
    @Nullable ServletOutputStream onOverflow() throws IOException;
  }

  private final BodyBuffer body;
  private final Overflow overflow;
  private long count;
  private boolean overflowed;
  private @Nullable ServletOutputStream target;
  private boolean closed;

  /**
   * @param body holds (up to its limit) and digests the body, or only counts and digests it
   * @param overflow the owner's decision when the body outgrows the limit
   */
  CaptureStream(BodyBuffer body, Overflow overflow) {
    this.body = body;
    this.overflow = overflow;
  }

  @Override
  public synchronized void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  /**
   * The handler declared the body's length: hold it in one array of that size instead of growing
   * one by doubling (which copies the body about once more and allocates about twice its size).
   * A wrong declaration costs nothing but the array: the buffer still grows, up to the limit.
   */
  synchronized void expectLength(long length) {
    if (!overflowed) {
      body.expectLength(length);
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return;
    }
    if (!overflowed && !body.append(b, off, len)) {
      spill();
    }
    if (overflowed) {
      count += len;
      if (target != null) {
        target.write(b, off, len);
      }
    }
  }

  /** Gives up holding: the owner decides where the held bytes and the rest go. */
  synchronized void spill() throws IOException {
    if (overflowed) {
      return;
    }
    overflowed = true;
    count = body.count();
    body.abandonDigest();
    target = overflow.onOverflow();
    if (target != null && count > 0 && body.array().length > 0) {
      target.write(body.array(), 0, (int) count);
    }
    body.release();
  }

  /** Whether the whole body so far is held (or was counted and digested, when not holding). */
  synchronized boolean complete() {
    return !overflowed;
  }

  /** The body length so far. */
  synchronized long count() {
    return overflowed ? count : body.count();
  }

  /** The held bytes (valid while {@link #complete()}; only the first {@link #count()} bytes count; never write them). */
  synchronized byte[] buffer() {
    return body.array();
  }

  /** Finishes the digest: the generated tag of the complete body, or {@code null}. */
  synchronized @Nullable EntityTag finishDigest() {
    return overflowed ? null : body.finishDigest();
  }

  /** Discards what is held and starts the digest afresh (response reset). */
  synchronized void reset() {
    if (!overflowed) {
      body.reset();
    }
  }

  @Override
  public synchronized void flush() throws IOException {
    // Held bytes stay held: flushing would commit the response before the ETag is known.
    if (overflowed && target != null) {
      target.flush();
    }
  }

  @Override
  public synchronized void close() throws IOException {
    // The owner finishes the response; closing the real stream here would commit it too early.
    closed = true;
  }

  boolean closed() {
    return closed;
  }

  @Override
  public synchronized boolean isReady() {
    return !overflowed || target == null || target.isReady();
  }

  @Override
  public synchronized void setWriteListener(WriteListener writeListener) {
    if (overflowed && target != null) {
      target.setWriteListener(writeListener);
      return;
    }
    throw new IllegalStateException("Non-blocking output needs an asynchronous request: "
        + "ETag Guard passes the response through once the request goes async");
  }
}
