package dev.etagguard.servlet;

import java.io.IOException;
import java.util.Arrays;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;

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

  private final int limit;
  private final boolean hold;
  private final Overflow overflow;
  private EntityTagGenerator.@Nullable Digest digest;
  private byte[] buffer = new byte[0];
  private long count;
  private boolean overflowed;
  private @Nullable ServletOutputStream target;
  private boolean closed;

  /**
   * @param limit the most bytes held (and digested)
   * @param hold whether to keep the bytes (false: count and digest only, e.g. HEAD)
   * @param digest the running digest, or {@code null}
   * @param overflow the owner's decision when the body outgrows the limit
   */
  CaptureStream(int limit, boolean hold, EntityTagGenerator.@Nullable Digest digest, Overflow overflow) {
    this.limit = limit;
    this.hold = hold;
    this.digest = digest;
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
    if (hold && !overflowed && length > buffer.length && length <= limit) {
      buffer = Arrays.copyOf(buffer, (int) length);
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return;
    }
    if (!overflowed && count + len > limit) {
      spill();
    }
    if (overflowed) {
      count += len;
      if (target != null) {
        target.write(b, off, len);
      }
      return;
    }
    if (digest != null) {
      digest.update(b, off, len);
    }
    if (hold) {
      int needed = (int) count + len;
      if (needed > buffer.length) {
        // In long: past 1 GiB, doubling in int overflowed and the buffer grew by one write at a time.
        buffer = Arrays.copyOf(buffer, (int) Math.min(limit, Math.max(needed, Math.max(256L, buffer.length * 2L))));
      }
      System.arraycopy(b, off, buffer, (int) count, len);
    }
    count += len;
  }

  /** Gives up holding: the owner decides where the held bytes and the rest go. */
  synchronized void spill() throws IOException {
    if (overflowed) {
      return;
    }
    overflowed = true;
    digest = null;
    target = overflow.onOverflow();
    if (target != null && hold && count > 0) {
      target.write(buffer, 0, (int) count);
    }
    buffer = new byte[0];
  }

  /** Whether the whole body so far is held (or was counted and digested, when not holding). */
  synchronized boolean complete() {
    return !overflowed;
  }

  /** The body length so far. */
  synchronized long count() {
    return count;
  }

  /** The held bytes (valid while {@link #complete()}; only the first {@link #count()} bytes count). */
  synchronized byte[] buffer() {
    return buffer;
  }

  /** Finishes the digest: the generated tag of the complete body, or {@code null}. */
  synchronized @Nullable EntityTag finishDigest() {
    if (overflowed || digest == null) {
      return null;
    }
    EntityTag tag = digest.finish();
    digest = null;
    return tag;
  }

  /** Discards what is held (response reset). */
  synchronized void reset() {
    if (!overflowed) {
      count = 0;
      buffer = new byte[0];
    }
  }

  /** Restarts the digest after a reset. */
  synchronized void restartDigest(EntityTagGenerator.@Nullable Digest fresh) {
    if (!overflowed) {
      digest = fresh;
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
