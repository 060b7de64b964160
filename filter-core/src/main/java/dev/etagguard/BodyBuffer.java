package dev.etagguard;

import java.nio.ByteBuffer;
import java.util.Arrays;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResourceKey;

import org.jspecify.annotations.Nullable;

/**
 * A response body held back until the guard has decided, digested as it arrives. Holds at most
 * {@code limit} bytes: {@link #append} refuses what would not fit, and the adapter then streams
 * (or discards) the body instead, so memory stays flat for any body size. Without holding
 * (HEAD), it only counts and digests. Not thread-safe: one request's writes at a time.
 *
 * <p>A buffer made by the flow (see {@link Exchange.Host#read}) knows the last body digested for
 * its resource (option {@code digestCacheSize}) and compares the arriving bytes with it instead
 * of copying and hashing them. While they are equal, {@link #array()} is that cached body (never
 * written again) and nothing is copied; at the first difference it copies the equal prefix once
 * and goes on as without a cache. A body equal to the cached one in every byte and in length gets
 * the cached tag; any other complete, held body is cached after its digest.
 *
 * @since 0.1
 */
public final class BodyBuffer {

  private static final byte[] EMPTY = new byte[0];

  private final int limit;
  private final boolean hold;
  private final @Nullable EntityTagGenerator generator;
  private final @Nullable DigestCache cache;
  private final @Nullable ResourceKey key;
  private final DigestCache.@Nullable Body reference;
  private EntityTagGenerator.@Nullable Digest digest;
  /** Every byte so far equals the reference's at the same offset; none was copied or digested. */
  private boolean matching;
  private byte[] bytes = EMPTY;
  private long count;
  /** {@link #bytes} went into the cache: copy before writing to it again. */
  private boolean shared;

  /**
   * A buffer that digests with {@code generator} and caches nothing.
   *
   * @param limit the most bytes held and digested
   * @param hold whether to keep the bytes, or only count and digest them
   * @param generator the generator to digest with, or {@code null} for no digest
   */
  public BodyBuffer(int limit, boolean hold, @Nullable EntityTagGenerator generator) {
    this(limit, hold, generator, null, null);
  }

  BodyBuffer(int limit, boolean hold, @Nullable EntityTagGenerator generator, @Nullable DigestCache cache,
      @Nullable ResourceKey key) {
    this.limit = limit;
    this.hold = hold;
    this.generator = generator;
    this.cache = generator == null || key == null || cache == null || !cache.enabled() ? null : cache;
    this.key = key;
    DigestCache.Body cached = this.cache == null ? null : this.cache.get(key);
    this.reference = cached != null && cached.length() <= limit ? cached : null;
    start();
  }

  private void start() {
    count = 0;
    bytes = EMPTY;
    shared = false;
    matching = reference != null;
    digest = generator == null || matching ? null : generator.start();
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
    if (matching) {
      DigestCache.Body ref = reference;
      if (count + len <= ref.length()
          && Arrays.equals(b, off, off + len, ref.bytes(), (int) count, (int) count + len)) {
        count += len;
        return true;
      }
      diverge(len);
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
    if (matching) {
      DigestCache.Body ref = reference;
      if (count + len <= ref.length() && buffer.mismatch(ByteBuffer.wrap(ref.bytes(), (int) count, len)) < 0) {
        count += len;
        return true;
      }
      diverge(len);
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

  /** The body differs from the cached one: digest and hold the equal prefix, once, and go on without it. */
  private void diverge(int next) {
    DigestCache.Body ref = reference;
    matching = false;
    if (generator != null) {
      digest = generator.start();
      if (count > 0) {
        digest.update(ref.bytes(), 0, (int) count);
      }
    }
    if (hold) {
      bytes = new byte[(int) Math.min(limit, Math.max(count + next, ref.length()))];
      System.arraycopy(ref.bytes(), 0, bytes, 0, (int) count);
      shared = false;
    }
  }

  /**
   * The body's declared length: hold it in one array of that size instead of growing by doubling.
   * A wrong declaration costs nothing but the array: the buffer still grows, up to the limit.
   */
  public void expectLength(long length) {
    if (matching) {
      if (count > 0 || length < 0 || length == reference.length()) {
        return;
      }
      // Another length: another body, so compare no further (nothing arrived yet).
      matching = false;
      digest = generator == null ? null : generator.start();
    }
    if (hold && length > bytes.length && length <= limit) {
      bytes = Arrays.copyOf(bytes, (int) length);
      shared = false;
    }
  }

  private void ensure(int len) {
    int needed = (int) count + len;
    if (needed > bytes.length || shared) {
      // In long: past 1 GiB, doubling in int overflowed and the buffer grew by one write at a time.
      bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(needed, Math.max(256L, bytes.length * 2L))));
      shared = false;
    }
  }

  /** How many bytes were appended. */
  public long count() {
    return count;
  }

  /**
   * The held bytes; only the first {@link #count()} count. Empty when not holding. While the body
   * equals the cached one, this is the cached array: read it, never write it.
   */
  public byte[] array() {
    return matching && hold ? reference.bytes() : bytes;
  }

  /** The held bytes as a buffer over {@code [from, from + length)}, read-only while shared with the cache. */
  public ByteBuffer slice(long from, long length) {
    ByteBuffer slice = ByteBuffer.wrap(array(), (int) from, (int) length);
    return matching || shared ? slice.asReadOnlyBuffer() : slice;
  }

  /**
   * Finishes the digest: the generated tag of what was appended, or {@code null} without a digest.
   * A body equal to the cached one gets its tag without hashing; another complete, held body goes
   * into the cache.
   */
  public @Nullable EntityTag finishDigest() {
    if (matching) {
      DigestCache.Body ref = reference;
      if (count == ref.length()) {
        return ref.tag();
      }
      // A prefix of the cached body: the same bytes, digested now.
      EntityTagGenerator.Digest prefix = generator.start();
      prefix.update(ref.bytes(), 0, (int) count);
      EntityTag tag = prefix.finish();
      if (hold && count > 0) {
        cache.put(key, ref.bytes(), (int) count, tag);
      }
      return tag;
    }
    if (digest == null) {
      return null;
    }
    EntityTag tag = digest.finish();
    digest = null;
    if (cache != null && hold && count > 0) {
      cache.put(key, bytes, (int) count, tag);
      shared = true;
    }
    return tag;
  }

  /** Drops the digest: the body will not be complete (it is being streamed). */
  public void abandonDigest() {
    if (matching) {
      // The held bytes are the cached body's prefix: keep them without a copy, never writing to them.
      matching = false;
      bytes = hold ? reference.bytes() : EMPTY;
      shared = true;
    }
    digest = null;
  }

  /** Empties the buffer (a response reset) and starts the digest afresh. */
  public void reset() {
    start();
  }

  /** Frees the held bytes. */
  public void release() {
    if (matching) {
      matching = false;
      digest = null;
    }
    bytes = EMPTY;
  }
}
