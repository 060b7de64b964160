package dev.etagguard.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import dev.etagguard.support.Builtins;

/**
 * Orders writes per resource: at most one {@link Permit} per key is held at a time, granted in
 * the order acquisitions arrived (FIFO); keys never wait for each other.
 *
 * <p>{@link #acquire} never blocks: the returned future completes with the permit when it is
 * granted, or exceptionally with {@link PermitUnavailableException} when the key's queue is full
 * (immediately) or the wait exceeds {@code maxWait}. A cancelled or timed-out acquisition never
 * leaves a permit held. Thread-safe.
 *
 * @since 0.1
 */
public interface WriteSequencer {

  /** Requests the permit of {@code key}. */
  CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait);

  /** How many permits are held right now, over all keys; {@code -1} when not known. For tests and metrics. */
  default int heldPermits() {
    return -1;
  }

  /** How many keys have state in the sequencer right now (holders or waiters); {@code -1} when not known. */
  default int activeKeys() {
    return -1;
  }

  /**
   * The built-in in-process sequencer: per-key FIFO queues in a concurrent map whose entry is
   * removed when its last holder leaves, so it holds nothing for idle keys.
   *
   * @param maxWaitersPerKey how many acquisitions may wait behind the holder of one key
   */
  static WriteSequencer local(int maxWaitersPerKey) {
    return Builtins.localSequencer(maxWaitersPerKey);
  }

  /**
   * The right to write one resource. Thread-agnostic: any thread may release it. Releasing is
   * idempotent.
   */
  interface Permit extends AutoCloseable {
    /** The key this permit is for. */
    ResourceKey key();

    /** Releases the permit, granting it to the next waiter; later calls do nothing. */
    void release();

    /** Same as {@link #release()}. */
    @Override
    default void close() {
      release();
    }
  }

  /** Thrown (as a future's failure) when a permit cannot be granted in time or the queue is full. */
  final class PermitUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean queueFull;

    /**
     * @param message what happened
     * @param queueFull whether the queue was full, rather than the wait too long
     */
    public PermitUnavailableException(String message, boolean queueFull) {
      super(message, null, false, false);
      this.queueFull = queueFull;
    }

    /** Whether the key's queue was full, rather than the wait too long. */
    public boolean queueFull() {
      return queueFull;
    }
  }
}
