package dev.etagguard;

import java.nio.ByteBuffer;
import java.util.Arrays;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;

import org.jspecify.annotations.Nullable;

/**
 * A response body held back until the guard has decided, digested as it arrives. Holds at most
 * {@code limit} bytes: {@link #append} refuses what would not fit, and the adapter then streams
 * (or discards) the body instead, so memory stays flat for any body size. Without holding
 * (HEAD), it only counts and digests. Not thread-safe: one request's writes at a time.
 *
 * @since 0.1
 */
public final class BodyBuffer {

  private final int limit;
  private final boolean hold;
  private EntityTagGenerator.@Nullable Digest digest;
  private byte[] bytes = new byte[0];
  private long count;

  /**
   * @param limit the most bytes held and digested
   * @param hold whether to keep the bytes, or only count and digest them
   * @param digest the running digest, or {@code null} for none
   */
  public BodyBuffer(int limit, boolean hold, EntityTagGenerator.@Nullable Digest digest) {
    this.limit = limit;
    this.hold = hold;
    this.digest = digest;
  }

  /** Whether {@code length} more bytes fit. */
  public boolean fits(long length) {
    return count + length <= limit;
  }

  /**
   * Appends bytes if they fit.
   *
   * @return {@code false}, appending nothing, when they would exceed the limit
   */
  public boolean append(byte[] b, int off, int len) {
    if (!fits(len)) {
      return false;
    }
    if (digest != null) {
      digest.update(b, off, len);
    }
    if (hold) {
      ensure(len);
      System.arraycopy(b, off, bytes, (int) count, len);
    }
    count += len;
    return true;
  }

  /**
   * Appends the remaining bytes of a buffer if they fit, leaving its position unchanged.
   *
   * @return {@code false}, appending nothing, when they would exceed the limit
   */
  public boolean append(ByteBuffer buffer) {
    int len = buffer.remaining();
    if (!fits(len)) {
      return false;
    }
    if (digest != null) {
      digest.update(buffer.duplicate());
    }
    if (hold) {
      ensure(len);
      buffer.duplicate().get(bytes, (int) count, len);
    }
    count += len;
    return true;
  }

  /**
   * The body's declared length: hold it in one array of that size instead of growing by doubling.
   * A wrong declaration costs nothing but the array: the buffer still grows, up to the limit.
   */
  public void expectLength(long length) {
    if (hold && length > bytes.length && length <= limit) {
      bytes = Arrays.copyOf(bytes, (int) length);
    }
  }

  private void ensure(int len) {
    int needed = (int) count + len;
    if (needed > bytes.length) {
      // In long: past 1 GiB, doubling in int overflowed and the buffer grew by one write at a time.
      bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(needed, Math.max(256L, bytes.length * 2L))));
    }
  }

  /** How many bytes were appended. */
  public long count() {
    return count;
  }

  /** The held bytes; only the first {@link #count()} count. Empty when not holding. */
  public byte[] array() {
    return bytes;
  }

  /** The held bytes as a buffer over {@code [from, from + length)}. */
  public ByteBuffer slice(long from, long length) {
    return ByteBuffer.wrap(bytes, (int) from, (int) length);
  }

  /** Finishes the digest: the generated tag of what was appended, or {@code null} without a digest. */
  public @Nullable EntityTag finishDigest() {
    if (digest == null) {
      return null;
    }
    EntityTag tag = digest.finish();
    digest = null;
    return tag;
  }

  /** Drops the digest: the body will not be complete (it is being streamed). */
  public void abandonDigest() {
    digest = null;
  }

  /** Empties the buffer (a response reset), with a fresh digest or none. */
  public void reset(EntityTagGenerator.@Nullable Digest fresh) {
    count = 0;
    bytes = new byte[0];
    digest = fresh;
  }

  /** Frees the held bytes. */
  public void release() {
    bytes = new byte[0];
  }
}
