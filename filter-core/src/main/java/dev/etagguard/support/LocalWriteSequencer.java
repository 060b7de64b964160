package dev.etagguard.support;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;

import org.jspecify.annotations.Nullable;

/**
 * Per-key FIFO permits. A key has an entry in {@link #lanes} exactly while its permit is held;
 * the entry holds the waiters in arrival order. All changes to an entry happen inside
 * {@link ConcurrentHashMap#compute}, and the entry is removed when the holder leaves with nobody
 * waiting, so idle keys cost nothing.
 */
final class LocalWriteSequencer implements WriteSequencer {

  /** One timer thread for all sequencers, daemon, cancelled tasks removed at once. */
  private static final ScheduledThreadPoolExecutor TIMER;

  static {
    TIMER = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "etag-guard-permit-timer");
      t.setDaemon(true);
      return t;
    });
    TIMER.setRemoveOnCancelPolicy(true);
  }

  private final ConcurrentHashMap<ResourceKey, Lane> lanes = new ConcurrentHashMap<>();
  private final AtomicInteger held = new AtomicInteger();
  private final int maxWaitersPerKey;

  LocalWriteSequencer(int maxWaitersPerKey) {
    if (maxWaitersPerKey < 0) {
      throw new IllegalArgumentException("maxWaitersPerKey must be >= 0: " + maxWaitersPerKey);
    }
    this.maxWaitersPerKey = maxWaitersPerKey;
  }

  @Override
  public CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
    Waiter waiter = new Waiter();
    int[] result = new int[1]; // 0 queued, 1 granted, 2 full
    lanes.compute(key, (k, lane) -> {
      if (lane == null) {
        result[0] = 1;
        return new Lane();
      }
      if (lane.waiters.size() >= maxWaitersPerKey) {
        result[0] = 2;
        return lane;
      }
      lane.waiters.add(waiter);
      return lane;
    });
    switch (result[0]) {
      case 1 -> {
        held.incrementAndGet();
        return CompletableFuture.completedFuture(new LocalPermit(key));
      }
      case 2 -> {
        return CompletableFuture.failedFuture(new PermitUnavailableException(
            "More than " + maxWaitersPerKey + " writes are waiting for " + key, true));
      }
      default -> {
        long nanos = maxWait.toNanos();
        waiter.timeout = TIMER.schedule(() -> waiter.completeExceptionally(new PermitUnavailableException(
            "Waited more than " + maxWait.toMillis() + " ms for the write permit of " + key, false)),
            nanos, TimeUnit.NANOSECONDS);
        // A waiter that ends without a permit (timeout, cancel) leaves the queue.
        waiter.whenComplete((permit, failure) -> {
          if (failure != null) {
            lanes.computeIfPresent(key, (k, lane) -> {
              lane.waiters.remove(waiter);
              return lane;
            });
          }
        });
        return waiter;
      }
    }
  }

  /** Passes the permit of {@code key} to the next live waiter, or removes the lane. */
  private void handOver(ResourceKey key) {
    while (true) {
      Waiter[] next = new Waiter[1];
      lanes.compute(key, (k, lane) -> {
        if (lane == null) {
          return null;
        }
        next[0] = lane.waiters.poll();
        return next[0] == null ? null : lane;
      });
      if (next[0] == null) {
        held.decrementAndGet();
        return;
      }
      if (next[0].complete(new LocalPermit(key))) {
        ScheduledFuture<?> timeout = next[0].timeout;
        if (timeout != null) {
          timeout.cancel(false);
        }
        return;
      }
      // That waiter timed out or was cancelled meanwhile: the permit is still ours to pass on.
    }
  }

  @Override
  public int heldPermits() {
    return held.get();
  }

  @Override
  public int activeKeys() {
    return lanes.size();
  }

  @Override
  public String toString() {
    return "LocalWriteSequencer{maxWaitersPerKey=" + maxWaitersPerKey + ", held=" + held.get() + "}";
  }

  private static final class Lane {
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>(2);
  }

  private static final class Waiter extends CompletableFuture<Permit> {
    volatile @Nullable ScheduledFuture<?> timeout;
  }

  private final class LocalPermit implements Permit {
    private final ResourceKey key;
    private final AtomicBoolean released = new AtomicBoolean();

    LocalPermit(ResourceKey key) {
      this.key = key;
    }

    @Override
    public ResourceKey key() {
      return key;
    }

    @Override
    public void release() {
      if (released.compareAndSet(false, true)) {
        handOver(key);
      }
    }

    @Override
    public String toString() {
      return "Permit{" + key + (released.get() ? ", released}" : "}");
    }
  }
}
