package dev.etagguard.support;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

import org.jspecify.annotations.Nullable;

/**
 * For store implementors: a {@link WriteSequencer} whose permits are leases with fencing tokens
 * in a store that several instances share (a lock service, a table), behind the built-in
 * in-process sequencer. A store's module supplies one call per step of the store's half (take the
 * lease or learn that it is taken, renew it, end it, leave the queue); this class does the rest,
 * once for every store:
 *
 * <ul>
 *   <li>Requests for one key queue in the {@linkplain Builtins#localSequencer in-process sequencer}
 *       first (FIFO, {@code maxWaitersPerKey}), so each instance has at most one request per key
 *       at the store.</li>
 *   <li>That request {@linkplain #tryLock tries the lease}; while another holds it, it tries again
 *       after a back-off of 1 ms, doubling up to 20 ms (sooner when the store tells when the
 *       holder's lease ends at the latest), until it is granted or {@code maxWait}, counted from
 *       the call to {@link #acquire}, has passed: then it fails with
 *       {@link PermitUnavailableException}.</li>
 *   <li>The two steps are {@linkplain Builtins#chain chained}, so the cancellation contract
 *       of {@link WriteSequencer} holds: an abandoned request stops trying, the store is told
 *       ({@link #abandon}), and a lease it is granted afterwards is ended at once.</li>
 *   <li>A held permit's {@link Permit#valid()} counts the lease from before the attempt that took
 *       it was sent, so this process never believes in it longer than the store does. With
 *       {@code renewLease} the permit {@linkplain #renew renews} its lease every third of
 *       {@code leaseTime}, one renewal at a time; a renewal that finds the lease lost makes
 *       {@code valid()} false at once and ends the renewals.</li>
 *   <li>Releasing a permit {@linkplain #unlock ends its lease}, then passes the in-process permit
 *       on to the instance's next request for the key.</li>
 *   <li>Optionally, for a module whose validator store shares the sequencer's engine
 *       ({@link #validatorStore()}): a permit's {@linkplain Permit#storeEntry() store entry}
 *       with what its grant read ({@link #found}) and a commit that ends the lease in the same
 *       step ({@link #compareAndSetAndUnlock}).</li>
 * </ul>
 *
 * <p>Exclusive permits only: {@link #acquireShared} takes the exclusive one (the interface's
 * default). One timer thread per sequencer, a daemon named after the store, schedules the
 * attempts and renewals; the store's calls must not block it: a store with a blocking client runs
 * them on threads of its own and completes the returned futures from there. {@link #close()}
 * ends the timer: requests waiting for a lease fail with {@link PermitUnavailableException} (their
 * next attempt does not reach the store), so do later ones, and permits held are still released
 * as usual. Thread-safe.
 *
 * @param <R> what the store keeps of one request between its steps (a lock owner's name, a queue
 *     row); made by {@link #newRequest}, handed to every later call for that request
 * @since 0.1
 */
public abstract class LeasedWriteSequencer<R> implements WriteSequencer {

  private static final System.Logger LOG = System.getLogger(LeasedWriteSequencer.class.getName());
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final String name;
  private final long leaseMillis;
  private final boolean renewLease;
  private final WriteSequencer local;
  private final ScheduledThreadPoolExecutor timer;
  private final @Nullable ValidatorStore validatorStore;
  private volatile boolean closed;

  /**
   * @param namePrefix the start of the timer thread's name, which a number completes (for
   *     example {@code etag-guard-redis-})
   * @param leaseMillis how long a lease lasts once granted (or renewed), in milliseconds; positive
   * @param renewLease whether a held permit renews its lease every third of {@code leaseMillis}
   * @param maxWaitersPerKey how many requests of this instance may wait for one key
   */
  protected LeasedWriteSequencer(String namePrefix, long leaseMillis, boolean renewLease, int maxWaitersPerKey) {
    this(namePrefix, leaseMillis, renewLease, maxWaitersPerKey, null);
  }

  /**
   * A sequencer whose grants also read the key's validators in {@code validatorStore}, and whose
   * permits' commits end their leases in the same step: see {@link #validatorStore()}.
   *
   * @param namePrefix the start of the timer thread's name, which a number completes
   * @param leaseMillis how long a lease lasts once granted (or renewed), in milliseconds; positive
   * @param renewLease whether a held permit renews its lease every third of {@code leaseMillis}
   * @param maxWaitersPerKey how many requests of this instance may wait for one key
   * @param validatorStore a store of the same module that shares the sequencer's engine, or
   *     {@code null} for none
   * @since 0.1
   */
  protected LeasedWriteSequencer(String namePrefix, long leaseMillis, boolean renewLease, int maxWaitersPerKey,
      @Nullable ValidatorStore validatorStore) {
    this.validatorStore = validatorStore;
    if (leaseMillis < 1) {
      throw new IllegalArgumentException("leaseMillis must be positive: " + leaseMillis);
    }
    this.name = namePrefix + INSTANCES.incrementAndGet();
    this.leaseMillis = leaseMillis;
    this.renewLease = renewLease;
    this.local = new LocalWriteSequencer(maxWaitersPerKey);
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    // Renewals are cancelled when their permit is released: they leave the queue at once. At
    // shutdown the periodic renewals end, and the attempts already scheduled run once more, to fail.
    timer.setRemoveOnCancelPolicy(true);
  }

  /**
   * Starts the store's half of a request, when the request's turn in this instance has come (it
   * holds the key's in-process permit). Called once per request, before its first attempt.
   *
   * @return what the store keeps of the request
   */
  protected abstract R newRequest(ResourceKey key);

  /**
   * One attempt to take the lease of {@code key} for {@code leaseMillis}. Must not block the
   * calling thread (the timer's, or the thread that called {@link #acquire}).
   *
   * @return a future of the fencing token when the lease is granted: larger than 0 and than every
   *     token granted for the key before. Else of 0, or of minus the milliseconds after which the
   *     holder's lease ends at the latest (the next attempt comes no later). Exceptionally when the
   *     store cannot be asked: the request then fails with that failure
   */
  protected abstract CompletableFuture<Long> tryLock(ResourceKey key, R request);

  /**
   * Renews a held lease for another {@code leaseMillis}. Must not block the calling thread (the
   * timer's).
   *
   * @return a future of {@code true} when renewed, {@code false} when the lease is lost (expired,
   *     or taken by another); exceptionally when the store could not tell (the renewal is tried
   *     again at the next period)
   */
  protected abstract CompletableFuture<Boolean> renew(ResourceKey key, R request, long token);

  /**
   * Ends a held lease, for the permit's release (any thread). The in-process permit passes on
   * when the returned future completes, normally or not: a lease that could not be ended runs out
   * by itself.
   *
   * @param leaseEnds when the lease ends as far as this process knows, on the
   *     {@link System#nanoTime()} scale (a store may retry until then)
   */
  protected abstract CompletableFuture<?> unlock(ResourceKey key, R request, long leaseEnds);

  /**
   * Tells the store that a request which holds no lease gives up: timed out, abandoned by its
   * caller, failed, or its sequencer closed. Must not block. The default does nothing, for stores
   * where a waiting request leaves no trace.
   */
  protected void abandon(ResourceKey key, R request) {
  }

  /**
   * The validator store whose entries this sequencer's grants read and whose compare-and-set it
   * can join with the end of a lease, for {@link Permit#storeEntry()}: a store of the same module
   * that shares the sequencer's engine, given to the constructor. {@code null}, the default:
   * permits carry no store entry, and the two methods below are not called.
   *
   * @since 0.1
   */
  protected final @Nullable ValidatorStore validatorStore() {
    return validatorStore;
  }

  /**
   * What the attempt that was granted {@code request}'s lease read of the key's validators in
   * {@link #validatorStore()} (kept in the request's state by {@link #tryLock}); {@code null}:
   * nothing stored, or not readable. Called only once the lease is granted.
   *
   * @since 0.1
   */
  protected @Nullable Validators found(ResourceKey key, R request) {
    return null;
  }

  /**
   * The store's {@link ValidatorStore#compareAndSet} and, only when it succeeds, the end of the
   * held lease, in one step (see {@link WriteSequencer.StoreEntry#compareAndSetAndRelease}). Called
   * on the thread of the request that holds the permit, which it may block as the store's
   * compare-and-set does; the in-process permit passes on when it returns {@code true}.
   *
   * @return whether the store held {@code expected} and now holds {@code next}; when
   *     {@code false}, the lease is still held
   * @throws RuntimeException when the store cannot be reached
   * @since 0.1
   */
  protected boolean compareAndSetAndUnlock(ResourceKey key, R request, long token, @Nullable Validators expected,
      @Nullable Validators next) {
    throw new UnsupportedOperationException("A sequencer with a validatorStore() joins its compare-and-set with unlock");
  }

  /** How long a lease lasts once granted or renewed, in milliseconds. */
  protected final long leaseMillis() {
    return leaseMillis;
  }

  /** Whether a held permit renews its lease every third of {@link #leaseMillis()}. */
  protected final boolean renewLease() {
    return renewLease;
  }

  /** The name of the timer thread, unique in the JVM: a prefix for threads of the store's own. */
  protected final String name() {
    return name;
  }

  @Override
  public final CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    // Chained, not thenCompose: cancelling the request must reach the lease attempts (issue 19).
    return Builtins.chain(local.acquire(key, maxWait), front -> {
      Request request = new Request(key, front, newRequest(key), deadline);
      attempt(request);
      return request.result;
    });
  }

  private void attempt(Request r) {
    if (r.result.isDone()) {
      giveUp(r, null); // abandoned (cancelled) between two attempts: stop trying
      return;
    }
    if (closed) {
      giveUp(r, closedException());
      return;
    }
    long sent = System.nanoTime();
    CompletableFuture<Long> answer;
    try {
      answer = tryLock(r.key, r.state);
    } catch (RuntimeException e) {
      giveUp(r, e instanceof RejectedExecutionException ? closedException() : e);
      return;
    }
    answer.whenComplete((token, failure) -> {
      if (failure != null || token == null) {
        giveUp(r, failure != null ? failure : new IllegalStateException("No answer from the store"));
      } else if (token > 0) {
        granted(r, token, sent);
      } else {
        retry(r, token);
      }
    });
  }

  private void retry(Request r, long answer) {
    long left = r.deadline - System.nanoTime();
    if (left <= 0) {
      giveUp(r, new PermitUnavailableException("Timed out waiting for " + r.key, false));
      return;
    }
    long wait = Math.min(r.backoff, left);
    if (answer < 0) {
      wait = Math.min(wait, TimeUnit.MILLISECONDS.toNanos(-answer));
    }
    r.backoff = Math.min(MAX_BACKOFF_NANOS, r.backoff * 2);
    try {
      timer.schedule(() -> attempt(r), wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      giveUp(r, closedException());
    }
  }

  private void granted(Request r, long token, long sent) {
    Lease lease = new Lease(r, token, sent);
    if (!r.result.complete(lease)) {
      lease.release(); // abandoned meanwhile: the lease ends at once, and the front permit with it
    } else if (renewLease) {
      lease.scheduleRenewal();
    }
  }

  /** Ends a request that holds no lease: the store forgets it, the front permit passes on. */
  private void giveUp(Request r, @Nullable Throwable failure) {
    try {
      abandon(r.key, r.state);
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not withdraw the permit request of " + r.key, e);
    } finally {
      r.front.release();
    }
    if (failure != null) {
      r.result.completeExceptionally(failure);
    }
  }

  private static PermitUnavailableException closedException() {
    return new PermitUnavailableException("The sequencer is closed", false);
  }

  @Override
  public final int heldPermits() {
    return local.heldPermits();
  }

  @Override
  public final int activeKeys() {
    return local.activeKeys();
  }

  /**
   * Ends the timer thread and the in-process sequencer: requests waiting fail with
   * {@link PermitUnavailableException}, held permits stop renewing their leases and are released
   * as usual. A store that overrides this to end threads of its own calls it first. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    timer.shutdown();
    local.close();
  }

  /** One request, from its in-process permit to its lease or its end. */
  private final class Request {
    final ResourceKey key;
    final Permit front;
    final R state;
    final long deadline;
    final CompletableFuture<Permit> result = new CompletableFuture<>();
    /** The next pause between attempts; only touched by the attempt in progress. */
    long backoff = MIN_BACKOFF_NANOS;

    Request(ResourceKey key, Permit front, R state, long deadline) {
      this.key = key;
      this.front = front;
      this.state = state;
      this.deadline = deadline;
    }
  }

  /** A held lease: its token and the end of the lease as far as this process knows. */
  private final class Lease implements Permit, WriteSequencer.StoreEntry {
    private final ResourceKey key;
    private final Permit front;
    private final R state;
    private final long token;
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean renewing = new AtomicBoolean();
    private volatile long leaseEnds;
    private volatile @Nullable ScheduledFuture<?> renewal;

    Lease(Request r, long token, long sent) {
      this.key = r.key;
      this.front = r.front;
      this.state = r.state;
      this.token = token;
      // Counted from before the attempt that took it was sent: never later than the store's end.
      this.leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    }

    @Override
    public ResourceKey key() {
      return key;
    }

    @Override
    public OptionalLong fencingToken() {
      return OptionalLong.of(token);
    }

    @Override
    public boolean valid() {
      return !released.get() && leaseEnds - System.nanoTime() > 0;
    }

    @Override
    public WriteSequencer.@Nullable StoreEntry storeEntry() {
      return validatorStore() == null ? null : this;
    }

    @Override
    public ValidatorStore store() {
      return java.util.Objects.requireNonNull(validatorStore());
    }

    @Override
    public @Nullable Validators found() {
      return LeasedWriteSequencer.this.found(key, state);
    }

    @Override
    public boolean compareAndSetAndRelease(@Nullable Validators expected, @Nullable Validators next) {
      if (!compareAndSetAndUnlock(key, state, token, expected, next)) {
        return false;
      }
      if (released.compareAndSet(false, true)) {
        cancelRenewal();
        front.release();
      }
      return true;
    }

    void scheduleRenewal() {
      long period = Math.max(1, leaseMillis / 3);
      try {
        renewal = timer.scheduleWithFixedDelay(this::renew, period, period, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        LOG.log(Level.DEBUG, () -> "Sequencer closed: the lease of " + key + " is not renewed");
        return;
      }
      if (released.get()) {
        cancelRenewal(); // released while its renewal was being scheduled
      }
    }

    private void renew() {
      if (released.get() || !renewing.compareAndSet(false, true)) {
        return; // released, or the previous renewal has not been answered yet
      }
      long sent = System.nanoTime();
      CompletableFuture<Boolean> answer;
      try {
        answer = LeasedWriteSequencer.this.renew(key, state, token);
      } catch (RuntimeException e) {
        renewing.set(false);
        LOG.log(e instanceof RejectedExecutionException ? Level.DEBUG : Level.WARNING,
            () -> "ETag Guard: could not renew the write permit of " + key + ": " + e);
        return;
      }
      answer.whenComplete((renewed, failure) -> {
        if (failure != null) {
          // Tried again at the next period; the lease runs out meanwhile unless that succeeds.
          LOG.log(Level.WARNING, () -> "ETag Guard: could not renew the write permit of " + key + ": " + failure);
        } else if (Boolean.TRUE.equals(renewed)) {
          leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
        } else {
          LOG.log(Level.WARNING, () -> "ETag Guard: the write permit of " + key + " lost its lease");
          leaseEnds = sent;
          cancelRenewal();
        }
        renewing.set(false);
      });
    }

    private void cancelRenewal() {
      ScheduledFuture<?> r = renewal;
      if (r != null) {
        r.cancel(false);
      }
    }

    @Override
    public void release() {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      cancelRenewal();
      CompletableFuture<?> unlocked;
      try {
        unlocked = unlock(key, state, leaseEnds);
      } catch (RuntimeException e) {
        LOG.log(Level.DEBUG, () -> "Could not release the lease of " + key + "; it expires by itself", e);
        front.release();
        return;
      }
      unlocked.whenComplete((done, failure) -> {
        if (failure != null) {
          LOG.log(Level.DEBUG, () -> "Could not release the lease of " + key + "; it expires by itself", failure);
        }
        front.release();
      });
    }

    @Override
    public String toString() {
      return "Permit{" + key + ", token=" + token + (released.get() ? ", released}" : "}");
    }
  }
}
