package dev.etagguard.spi;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import dev.etagguard.http.Validators;

import org.jspecify.annotations.Nullable;

/**
 * Orders writes per resource: at most one exclusive {@link Permit} per key is held at a time,
 * granted in the order acquisitions arrived (FIFO); keys never wait for each other.
 *
 * <p>With the option {@code readPermits}, reads take {@linkplain #acquireShared shared} permits of
 * the same queue: any number of readers hold a key's permit together, a writer holds it alone,
 * and grants follow arrival order, so a reader that arrives after a waiting writer waits behind it
 * (writers never starve) and the readers queued together behind a writer are granted together.
 *
 * <p>{@link #acquire} and {@link #acquireShared} never block: the returned future completes with
 * the permit when it is granted, or exceptionally with {@link PermitUnavailableException} when the
 * key's queue is full (immediately) or the wait exceeds {@code maxWait}. A cancelled or timed-out
 * acquisition never leaves a permit held. Thread-safe.
 *
 * <p><b>Abandoning a request.</b> Cancelling the future that {@link #acquire} or
 * {@link #acquireShared} returned abandons the request, whatever stage it has reached: a request
 * still queued leaves its key's queue (the waiters behind it move up), an acquisition in progress
 * (a call to a lock service, a database lock wait) is stopped or, when it cannot be, the permit
 * it is granted after the cancellation is released at once; no permit is ever held for an
 * abandoned request. A future completed by its caller in any other way (exceptionally, or by
 * {@link CompletableFuture#orTimeout}) is abandoned the same way. The engine relies on this: it
 * tries a key's permit and cancels the request when it is not granted at once. A sequencer built
 * in steps, such as a distributed lock behind an in-process queue, must not return a
 * {@link CompletableFuture#thenCompose} stage (cancelling it does not reach the inner future);
 * {@link dev.etagguard.support.Builtins#chain Builtins.chain} composes the steps and honours the
 * contract.
 *
 * @since 0.1
 */
public interface WriteSequencer extends AutoCloseable {

  /** Requests the exclusive (write) permit of {@code key}. */
  CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait);

  /**
   * Requests a shared (read) permit of {@code key}: held together with other shared permits of
   * the key, never together with its exclusive permit, and granted in arrival order with the
   * exclusive ones. The default takes the exclusive permit, which is correct but lets only one
   * reader in at a time; the built-in sequencer shares.
   *
   * @since 0.1
   */
  default CompletableFuture<Permit> acquireShared(ResourceKey key, Duration maxWait) {
    return acquire(key, maxWait);
  }

  /**
   * How many permits are held right now, over all keys, shared ones included; {@code -1} when not
   * known. For tests and metrics.
   */
  default int heldPermits() {
    return -1;
  }

  /**
   * How many acquisitions (exclusive and shared) are waiting for a permit right now, over all keys:
   * the queue depth; {@code -1} when not known. For metrics.
   *
   * @since 0.1
   */
  default int waitingPermits() {
    return -1;
  }

  /** How many keys have state in the sequencer right now (holders or waiters); {@code -1} when not known. */
  default int activeKeys() {
    return -1;
  }

  /**
   * Ends what the sequencer started (timer threads, lease renewals): the engine that made a
   * sequencer closes it when its filter, valve or handler stops, so no thread outlives them.
   * Waiting acquisitions fail with {@link PermitUnavailableException}; permits held are still
   * released as usual. Idempotent. The default does nothing.
   *
   * @since 0.1
   */
  @Override
  default void close() {
  }

  /**
   * The right to write one resource (exclusive) or to read it (shared). Thread-agnostic: any
   * thread may release it. Releasing is idempotent.
   */
  interface Permit extends AutoCloseable {
    /** The key this permit is for. */
    ResourceKey key();

    /** Releases the permit, granting it to the next waiter; later calls do nothing. */
    void release();

    /**
     * The fencing token of an exclusive permit that can be lost (a distributed lock's lease):
     * a number that grows with every grant of the key's exclusive permit, so a store the handler
     * writes to can refuse a write carrying a smaller token than one it has seen. Empty, the
     * default, for in-process permits, which are never lost. A present token also makes the
     * engine commit the write by {@link ValidatorStore#compareAndSet}; the adapters hand it to
     * the handler as the request attribute {@code dev.etagguard.fencingToken} (a {@code Long}).
     *
     * @since 0.1
     */
    default OptionalLong fencingToken() {
      return OptionalLong.empty();
    }

    /**
     * Whether the permit is still held as far as this process can tell: {@code false} once its
     * lease is known to have expired or been lost. The default, for permits that cannot be lost,
     * is {@code true}. A {@code true} is no proof (the process may have been paused since), which
     * is why the engine's compare-and-set remains the arbiter.
     *
     * @since 0.1
     */
    default boolean valid() {
      return true;
    }

    /**
     * The key's entry in the shared validator store, as this exclusive permit's grant read it,
     * with a compare-and-set that also releases the permit: for a sequencer and a
     * {@link ValidatorStore} of one module that share their engine, so that a fenced write needs
     * neither a read of its own after the grant nor a release of its own after the commit (a
     * Redis lock script that reads the validators too, a commit script that ends the lease).
     * {@code null}, the default: the engine asks the store for each step, and releases the
     * permit by itself.
     *
     * @since 0.1
     */
    default @Nullable StoreEntry storeEntry() {
      return null;
    }

    /** Same as {@link #release()}. */
    @Override
    default void close() {
      release();
    }
  }

  /**
   * A permit's key in the shared validator store, read with the permit's grant (see
   * {@link Permit#storeEntry()}). The engine uses it only when {@link #store()} is its own
   * validator store; the steps are those it would take with the store, fewer round trips apart.
   * Used by the one request that holds the permit.
   *
   * @since 0.1
   */
  interface StoreEntry {

    /** The validator store this entry belongs to. */
    ValidatorStore store();

    /**
     * What the store held for the key when the permit was granted, read in the same step as the
     * grant: what {@link ValidatorStore#get} would have answered then ({@code null}: nothing, or
     * not readable).
     */
    @Nullable Validators found();

    /**
     * {@link ValidatorStore#compareAndSet} of the permit's key and, only when it succeeds, the
     * permit's {@link Permit#release() release}, in one step of the store where it can. When it
     * returns {@code false} or throws, the permit is still held (release it as usual).
     *
     * @return whether the store held {@code expected} and now holds {@code next}
     * @throws RuntimeException when the store cannot be reached, so the outcome is unknown
     */
    boolean compareAndSetAndRelease(@Nullable Validators expected, @Nullable Validators next);
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
