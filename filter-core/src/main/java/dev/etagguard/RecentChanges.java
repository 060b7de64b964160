package dev.etagguard;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.etagguard.spi.ResourceKey;

/**
 * How many writes to each resource finished in the latest second a write to it finished in, for
 * the writes of the last few seconds only: enough to tell when two versions of a resource share a
 * Last-Modified second (an HTTP-date has one-second resolution) even when the validator store
 * does not know the earlier one (it was deleted, or forgotten). Entries expire two seconds after
 * their last write, and their number is bounded, so idle resources cost nothing.
 */
final class RecentChanges {

  /** The latest second a write to a key finished in, and how many did. */
  private record Second(long second, int count) {
  }

  private final Cache<ResourceKey, Second> seconds;

  RecentChanges(long maximumSize) {
    this.seconds = Caffeine.newBuilder()
        .expireAfterWrite(Duration.ofSeconds(2))
        .maximumSize(Math.max(1, maximumSize))
        .executor(Runnable::run)
        .build();
  }

  /** Records that a write to {@code key} ran its handler, finishing in epoch second {@code second}. */
  void changed(ResourceKey key, long second) {
    seconds.asMap().merge(key, new Second(second, 1), (old, now) -> old.second == second
        ? new Second(second, old.count + 1)
        // A clock that went back keeps the later second and counts this write in it too.
        : old.second > second ? new Second(old.second, old.count + 1) : now);
  }

  /** How many writes to {@code key} finished in epoch second {@code second}, as far as recorded. */
  int changesIn(ResourceKey key, long second) {
    Second s = seconds.getIfPresent(key);
    return s != null && s.second == second ? s.count : 0;
  }
}
