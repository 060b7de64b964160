package dev.etagguard;

import java.util.concurrent.atomic.AtomicLongArray;

import dev.etagguard.spi.ResourceKey;

/**
 * Orders validator-store updates of reads after writes. Each key hashes to a stripe with a
 * version counter; a write bumps it and changes the store under the stripe's lock; a read records
 * the version when it starts and stores what it learned only if the version has not moved, under
 * the same lock. So a read that overlapped a write never puts validators older than the write's.
 * A collision of two keys on one stripe only makes a read skip its store update.
 */
final class StripedVersions {

  private static final int STRIPES = 1024;

  private final AtomicLongArray versions = new AtomicLongArray(STRIPES);
  private final Object[] locks = new Object[STRIPES];

  StripedVersions() {
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new Object();
    }
  }

  private static int stripe(ResourceKey key) {
    int h = key.hashCode();
    return (h ^ (h >>> 16)) & (STRIPES - 1);
  }

  /** The version a read records when it starts. */
  long stamp(ResourceKey key) {
    return versions.get(stripe(key));
  }

  /** Runs a read's store update if no write completed since {@code stamp}; returns whether it ran. */
  boolean ifUnchanged(ResourceKey key, long stamp, Runnable update) {
    int i = stripe(key);
    synchronized (locks[i]) {
      if (versions.get(i) != stamp) {
        return false;
      }
      update.run();
      return true;
    }
  }

  /** Runs a write's store update and moves the version. */
  void write(ResourceKey key, Runnable update) {
    int i = stripe(key);
    synchronized (locks[i]) {
      versions.incrementAndGet(i);
      update.run();
    }
  }
}
