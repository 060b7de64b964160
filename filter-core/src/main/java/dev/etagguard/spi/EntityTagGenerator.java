package dev.etagguard.spi;

import java.nio.ByteBuffer;

import dev.etagguard.http.EntityTag;

/**
 * Generates the strong entity tag of a representation from its bytes, fed incrementally while
 * the body is written, so no second copy of the body is made.
 *
 * <p>A generator must be deterministic (equal bytes give equal tags, on every instance, with no
 * node, path or time in the tag) and collision-resistant: a client that controls content must
 * not be able to make two different bodies share a tag. Implementations are thread-safe; each
 * {@link Digest} is used by one request at a time.
 *
 * @since 0.1
 */
public interface EntityTagGenerator {

  /** Starts a digest for one body. */
  Digest start();

  /** The running digest of one body. Not thread-safe. */
  interface Digest {
    /** Feeds bytes. */
    void update(byte[] bytes, int offset, int length);

    /** Feeds the remaining bytes of a buffer, consuming them. */
    void update(ByteBuffer bytes);

    /** Finishes the digest; the digest must not be used afterwards. */
    EntityTag finish();
  }
}
