package dev.etagguard;

import java.util.Arrays;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.ResourceKey;

import org.jspecify.annotations.Nullable;

/**
 * The last body the guard digested for each resource, with the tag the generator gave it (option
 * {@code digestCacheSize}). A {@link BodyBuffer} compares the handler's next body of that resource
 * with it as the bytes arrive; when every byte and the length are equal, the tag is the cached
 * one and nothing is hashed or copied. Comparing runs at memory speed (the JDK's vectorized
 * mismatch), hashing with SHA-256 at about 1.3 GB/s, so an unchanged 1 MiB body costs tens of
 * microseconds instead of about 800.
 *
 * <p>Exact: a tag is reused only for a body equal byte for byte to the one it was computed from,
 * so the cache can make no collision, whatever the generator (which must be deterministic). The
 * cached arrays are never written again; they are bounded in bytes, a body the response buffer
 * could not hold is never cached, and values are soft references, so the JVM may drop them under
 * memory pressure.
 */
final class DigestCache {

  /** Bytes counted per entry beyond the body: key, node and tag. */
  private static final int ENTRY_OVERHEAD = 256;

  /** A digested body: the first {@code length} bytes of {@code bytes}, never written again, and its tag. */
  record Body(byte[] bytes, int length, EntityTag tag) {
  }

  private final @Nullable Cache<ResourceKey, Body> bodies;

  /** A cache of at most {@code maxBytes} bytes of bodies; 0 or less caches nothing. */
  DigestCache(long maxBytes) {
    this.bodies = maxBytes <= 0 ? null : Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .<ResourceKey, Body>weigher((key, body) -> (int) Math.min(Integer.MAX_VALUE,
            (long) body.bytes().length + ENTRY_OVERHEAD))
        .softValues()
        .executor(Runnable::run)
        .build();
  }

  /** Whether bodies are cached at all. */
  boolean enabled() {
    return bodies != null;
  }

  /** The last body digested for {@code key}, or {@code null}. */
  @Nullable Body get(ResourceKey key) {
    // Quietly: no read buffer and no maintenance on the read path. Eviction then follows writes
    // only, which suits a cache that is written when a body changes and read on every GET.
    return bodies == null ? null : bodies.policy().getIfPresentQuietly(key);
  }

  /** The bytes the cache counts now (bodies plus a per-entry overhead), after pending maintenance. */
  long weightedBytes() {
    if (bodies == null) {
      return 0;
    }
    bodies.cleanUp();
    return bodies.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }

  /**
   * Remembers the digested body of {@code key}. The caller must never write {@code bytes} again.
   * An array with much room to spare (a buffer grown by doubling) is trimmed first, so the bound
   * counts body bytes.
   */
  void put(ResourceKey key, byte[] bytes, int length, EntityTag tag) {
    if (bodies == null) {
      return;
    }
    byte[] kept = bytes.length - length > length / 4 ? Arrays.copyOf(bytes, length) : bytes;
    bodies.put(key, new Body(kept, length, tag));
  }
}
