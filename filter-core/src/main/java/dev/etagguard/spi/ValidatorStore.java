package dev.etagguard.spi;

import dev.etagguard.http.Validators;
import dev.etagguard.support.Builtins;

import org.jspecify.annotations.Nullable;

/**
 * Remembers the current validators of resources, so a conditional write can be checked without
 * asking the handler, and a generated ETag keeps its Last-Modified.
 *
 * <p>The engine calls {@link #put} for reads only when no write to the key completed while the
 * read ran, and holds the key's write permit for every other change, so a store needs no
 * ordering of its own. Implementations must be thread-safe; they may forget entries at any time
 * (the engine then asks the handler again).
 *
 * @since 0.1
 */
public interface ValidatorStore {

  /** The remembered validators of a key, or {@code null} when unknown. */
  @Nullable Validators get(ResourceKey key);

  /** Remembers the validators of a key. */
  void put(ResourceKey key, Validators validators);

  /** Forgets a key. */
  void invalidate(ResourceKey key);

  /** An estimate of the number of entries, for metrics; {@code -1} when not known. */
  default long estimatedSize() {
    return -1;
  }

  /**
   * The built-in store: an in-process Caffeine cache bounded to {@code maximumSize} entries
   * (Window TinyLFU eviction).
   */
  static ValidatorStore caffeine(long maximumSize) {
    return Builtins.caffeineStore(maximumSize);
  }
}
