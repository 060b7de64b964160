package dev.etagguard.support;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;

import org.jspecify.annotations.Nullable;

/** The in-process validator store: a size-bounded Caffeine cache. */
final class CaffeineValidatorStore implements ValidatorStore {

  private final Cache<ResourceKey, Validators> cache;

  CaffeineValidatorStore(long maximumSize) {
    if (maximumSize < 0) {
      throw new IllegalArgumentException("maximumSize must be >= 0: " + maximumSize);
    }
    // Eviction work runs on the calling thread: no pool threads, nothing to shut down.
    this.cache = Caffeine.newBuilder().maximumSize(maximumSize).executor(Runnable::run).build();
  }

  @Override
  public @Nullable Validators get(ResourceKey key) {
    return cache.getIfPresent(key);
  }

  @Override
  public void put(ResourceKey key, Validators validators) {
    // Every tagged GET stores what it learned; mostly it is what the store already holds, and a
    // read is cheaper than a write (no write buffer, no eviction work).
    if (!validators.equals(cache.getIfPresent(key))) {
      cache.put(key, validators);
    }
  }

  @Override
  public void invalidate(ResourceKey key) {
    cache.invalidate(key);
  }

  @Override
  public long estimatedSize() {
    return cache.estimatedSize();
  }

  @Override
  public String toString() {
    return "CaffeineValidatorStore" + cache.policy().eviction().map(e -> "{maximumSize=" + e.getMaximum() + "}").orElse("");
  }
}
