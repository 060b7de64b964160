package dev.etagguard.support;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
 * Per-key FIFO permits, exclusive (writes) or shared (reads). A key has an entry in
 * {@link #lanes} exactly while some permit of it is held; the entry counts the holders and keeps
 * the waiters in arrival order. All changes to an entry happen inside
 * {@link ConcurrentHashMap#compute}, and the entry is removed when the last holder leaves with
 * nobody waiting, so idle keys cost nothing.
 *
 * <p>Grants are decided inside {@code compute} (the entry's counts change there) and delivered
 * outside it, by completing the waiter's future. A waiter that timed out or was cancelled
 * meanwhile refuses its grant; the permit is then released at once, which passes it on.
 */
final class LocalWriteSequencer implements WriteSequencer {

  /**
   * This sequencer's timer for permit timeouts: one daemon thread, started with the first request
   * that has to wait, ended by {@link #close()}, so no thread outlives the filter, valve or
   * handler whose engine made the sequencer (an undeployed webapp's class loader stays
   * collectable). Cancelled tasks are removed at once.
   */
  private @Nullable ScheduledThreadPoolExecutor timer;
  private boolean closed;

  private final ConcurrentHashMap<ResourceKey, Lane> lanes = new ConcurrentHashMap<>();
  private final AtomicInteger held = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();
  private final int maxWaitersPerKey;

  LocalWriteSequencer(int maxWaitersPerKey) {
    if (maxWaitersPerKey < 0) {
      throw new IllegalArgumentException("maxWaitersPerKey must be >= 0: " + maxWaitersPerKey);
    }
    this.maxWaitersPerKey = maxWaitersPerKey;
  }

  @Override
  public CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
    return acquire(key, maxWait, false);
  }

  @Override
  public CompletableFuture<Permit> acquireShared(ResourceKey key, Duration maxWait) {
    return acquire(key, maxWait, true);
  }

  private CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait, boolean shared) {
    Waiter waiter = new Waiter(shared);
    int[] result = new int[1]; // 0 queued, 1 granted, 2 full
    lanes.compute(key, (k, lane) -> {
      if (lane == null) {
        result[0] = 1;
        Lane fresh = new Lane();
        fresh.grant(shared);
        return fresh;
      }
      // A reader joins the readers in place only when nobody waits: FIFO, so writers never starve.
      if (shared && !lane.writer && lane.waiters.isEmpty()) {
        result[0] = 1;
        lane.grant(true);
        return lane;
      }
      if (lane.waiters.size() >= maxWaitersPerKey) {
        result[0] = 2;
        return lane;
      }
      lane.waiters.add(waiter);
      waiting.incrementAndGet();
      return lane;
    });
    switch (result[0]) {
      case 1 -> {
        held.incrementAndGet();
        return CompletableFuture.completedFuture(new LocalPermit(key, shared));
      }
      case 2 -> {
        return CompletableFuture.failedFuture(new PermitUnavailableException(
            "More than " + maxWaitersPerKey + " requests are waiting for " + key, true));
      }
      default -> {
        // A waiter that ends without a permit (timeout, cancel, close) leaves the queue; if it was a
        // writer ahead of readers while readers hold the key, those readers may go now.
        waiter.whenComplete((permit, failure) -> {
          if (failure != null) {
            ScheduledFuture<?> timeout = waiter.timeout;
            if (timeout != null) {
              timeout.cancel(false); // a cancelled waiter leaves no timer task behind
            }
            List<Waiter> granted = new ArrayList<>(0);
            boolean[] left = new boolean[1];
            lanes.computeIfPresent(key, (k, lane) -> {
              if (lane.waiters.remove(waiter)) {
                left[0] = true;
                lane.admitWaiters(granted);
              }
              return lane.idle() ? null : lane;
            });
            if (left[0]) {
              waiting.decrementAndGet();
            }
            deliver(key, granted);
          }
        });
        ScheduledThreadPoolExecutor t = timer();
        if (t == null) {
          waiter.completeExceptionally(new PermitUnavailableException("The guard is stopping", false));
          return waiter;
        }
        try {
          waiter.timeout = t.schedule(() -> waiter.completeExceptionally(new PermitUnavailableException(
              "Waited more than " + maxWait.toMillis() + " ms for the " + (shared ? "read" : "write")
                  + " permit of " + key, false)),
              maxWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closedMeanwhile) {
          waiter.completeExceptionally(new PermitUnavailableException("The guard is stopping", false));
        }
        return waiter;
      }
    }
  }

  /** The timer, started on first use; {@code null} once closed. */
  private synchronized @Nullable ScheduledThreadPoolExecutor timer() {
    if (closed) {
      return null;
    }
    if (timer == null) {
      ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
        Thread thread = new Thread(r, "etag-guard-permit-timer");
        thread.setDaemon(true);
        // Started by a request, it would carry that webapp's loader: it carries the guard's own.
        thread.setContextClassLoader(LocalWriteSequencer.class.getClassLoader());
        return thread;
      });
      t.setRemoveOnCancelPolicy(true);
      timer = t;
    }
    return timer;
  }

  /**
   * Ends the timer thread and fails every waiting request (503 for the adapters); a request that
   * comes later and must wait fails at once. Permits held are still released as usual.
   * Idempotent.
   */
  @Override
  public void close() {
    ScheduledThreadPoolExecutor t;
    synchronized (this) {
      closed = true;
      t = timer;
      timer = null;
    }
    if (t != null) {
      t.shutdownNow();
    }
    List<Waiter> waiters = new ArrayList<>();
    for (ResourceKey key : lanes.keySet()) {
      lanes.computeIfPresent(key, (k, lane) -> {
        waiters.addAll(lane.waiters);
        return lane;
      });
    }
    for (Waiter w : waiters) {
      w.completeExceptionally(new PermitUnavailableException("The guard is stopping", false));
    }
  }

  /** Releases one permit of {@code key}, passing the key on to the next waiters or removing the lane. */
  private void release(ResourceKey key, boolean shared) {
    List<Waiter> granted = new ArrayList<>(1);
    lanes.computeIfPresent(key, (k, lane) -> {
      if (shared) {
        lane.readers--;
      } else {
        lane.writer = false;
      }
      lane.admitWaiters(granted);
      return lane.idle() ? null : lane;
    });
    held.decrementAndGet();
    deliver(key, granted);
  }

  /** Completes the futures of waiters granted inside {@code compute}; refused grants are released. */
  private void deliver(ResourceKey key, List<Waiter> granted) {
    waiting.addAndGet(-granted.size());
    for (Waiter w : granted) {
      held.incrementAndGet();
      LocalPermit permit = new LocalPermit(key, w.shared);
      if (w.complete(permit)) {
        ScheduledFuture<?> timeout = w.timeout;
        if (timeout != null) {
          timeout.cancel(false);
        }
      } else {
        // That waiter timed out or was cancelled meanwhile: pass the permit on.
        permit.release();
      }
    }
  }

  @Override
  public int heldPermits() {
    return held.get();
  }

  @Override
  public int waitingPermits() {
    return waiting.get();
  }

  @Override
  public int activeKeys() {
    return lanes.size();
  }

  @Override
  public String toString() {
    return "LocalWriteSequencer{maxWaitersPerKey=" + maxWaitersPerKey + ", held=" + held.get() + "}";
  }

  /** One key's holders and waiters; only touched inside {@code compute}. */
  private static final class Lane {
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>(2);
    int readers;
    boolean writer;

    void grant(boolean shared) {
      if (shared) {
        readers++;
      } else {
        writer = true;
      }
    }

    /**
     * Grants the waiters at the head of the queue that may hold the key now: the readers up to
     * the first writer, or that writer alone when nobody holds the key.
     */
    void admitWaiters(List<Waiter> granted) {
      while (!writer) {
        Waiter head = waiters.peek();
        if (head == null || (!head.shared && readers > 0)) {
          return;
        }
        waiters.poll();
        grant(head.shared);
        granted.add(head);
      }
    }

    boolean idle() {
      return !writer && readers == 0 && waiters.isEmpty();
    }
  }

  private static final class Waiter extends CompletableFuture<Permit> {
    final boolean shared;
    volatile @Nullable ScheduledFuture<?> timeout;

    Waiter(boolean shared) {
      this.shared = shared;
    }
  }

  private final class LocalPermit implements Permit {
    private final ResourceKey key;
    private final boolean shared;
    private final AtomicBoolean released = new AtomicBoolean();

    LocalPermit(ResourceKey key, boolean shared) {
      this.key = key;
      this.shared = shared;
    }

    @Override
    public ResourceKey key() {
      return key;
    }

    @Override
    public void release() {
      if (released.compareAndSet(false, true)) {
        LocalWriteSequencer.this.release(key, shared);
      }
    }

    @Override
    public String toString() {
      return "Permit{" + key + (shared ? ", shared" : "") + (released.get() ? ", released}" : "}");
    }
  }
}
