package dev.etagguard.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer.Permit;
import dev.etagguard.spi.WriteSequencer.StoreEntry;
import dev.etagguard.spi.WriteSequencer.PermitUnavailableException;
import dev.etagguard.testing.Permits;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LeasedWriteSequencer}, the part every shared store's sequencer has in common, over a
 * lease store in memory that several sequencers (instances) share: turns, retries, timeouts,
 * abandoned requests, renewal and close. The stores themselves run the same contract on real
 * servers in {@code ClusterScenarios}.
 */
class LeasedWriteSequencerTest {

  private static final Duration LONG = Duration.ofMinutes(1);
  private static final ResourceKey A = new ResourceKey("/a");

  private final Leases leases = new Leases();
  private final List<Instance> instances = new ArrayList<>();

  @AfterEach
  void close() {
    instances.forEach(Instance::close);
  }

  private Instance instance(long leaseMillis, boolean renewLease) {
    Instance i = new Instance(leases, leaseMillis, renewLease);
    instances.add(i);
    return i;
  }

  private Instance instance() {
    return instance(30_000, false);
  }

  @Test
  void grantsTheLeaseInTurnWithGrowingTokens() throws Exception {
    Instance one = instance();
    Permit first = one.acquire(A, LONG).get(5, TimeUnit.SECONDS);
    assertThat(first.fencingToken()).hasValue(1);
    assertThat(first.valid()).isTrue();
    CompletableFuture<Permit> second = one.acquire(A, LONG);
    assertThat(second).as("queued in the instance, not at the store").isNotDone();
    assertThat(one.attempts).hasValue(1);

    first.release();
    assertThat(first.valid()).isFalse();
    Permit next = second.get(5, TimeUnit.SECONDS);
    assertThat(next.fencingToken()).hasValue(2);
    assertThat(one.unlocked).containsExactly(one.owner(1));
    next.release();
    assertThat(Permits.awaitHeld(one, 0, Duration.ofSeconds(5))).isZero();
    assertThat(leases.holders).isEmpty();
  }

  /**
   * Two instances: {@code one} holds the lease of {@link #A}, {@code two}'s request for it (with
   * {@code maxWait}, made at {@code started} on the {@link System#nanoTime()} scale) has tried it
   * twice at least.
   */
  private record Contended(Instance two, Permit held, long started, CompletableFuture<Permit> waiting) {
  }

  private Contended contended(Duration maxWait) throws Exception {
    Instance one = instance();
    Instance two = instance();
    Permit held = one.acquire(A, LONG).get(5, TimeUnit.SECONDS);
    long started = System.nanoTime();
    CompletableFuture<Permit> waiting = two.acquire(A, maxWait);
    await(() -> two.attempts.get() >= 2, "two attempts");
    return new Contended(two, held, started, waiting);
  }

  @Test
  void aLeaseHeldElsewhereIsTriedAgainUntilItIsFree() throws Exception {
    Contended c = contended(LONG);
    assertThat(c.waiting()).isNotDone();

    c.held().release();
    Permit granted = c.waiting().get(5, TimeUnit.SECONDS);
    assertThat(granted.fencingToken()).hasValue(2);
    assertThat(c.two().abandoned).isEmpty();
    granted.release();
  }

  @Test
  void aLeaseStillHeldElsewhereAtTheDeadlineFailsTheRequestAndLeavesTheStore() throws Exception {
    Contended c = contended(Duration.ofMillis(200));
    Instance two = c.two();
    assertThatThrownBy(() -> c.waiting().get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
        .isInstanceOfSatisfying(PermitUnavailableException.class, e -> assertThat(e.queueFull()).isFalse());
    assertThat(Duration.ofNanos(System.nanoTime() - c.started())).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(two.abandoned).containsExactly(two.owner(1));
    assertThat(Permits.awaitHeld(two, 0, Duration.ofSeconds(5))).as("the front permit passed on").isZero();
  }

  /** The contract of {@code WriteSequencer}: cancelling the request stops the attempts. */
  @Test
  void anAbandonedRequestStopsTryingAndLeavesTheStore() throws Exception {
    Contended c = contended(LONG);
    Instance two = c.two();
    c.waiting().cancel(false);
    await(() -> !two.abandoned.isEmpty(), "the request withdrawn from the store");
    assertThat(Permits.awaitHeld(two, 0, Duration.ofSeconds(5))).isZero();
    int attempts = two.attempts.get();
    Thread.sleep(100);
    assertThat(two.attempts).as("no attempt after the request was withdrawn").hasValue(attempts);

    c.held().release();
    two.acquire(A, LONG).get(5, TimeUnit.SECONDS).release();
  }

  /** The contract of {@code WriteSequencer}: a lease granted to an abandoned request is ended at once. */
  @Test
  void aLeaseGrantedAfterTheRequestWasAbandonedIsEndedAtOnce() throws Exception {
    Instance one = instance();
    CompletableFuture<Long> answer = new CompletableFuture<>();
    one.nextAnswer.set(answer);
    CompletableFuture<Permit> request = one.acquire(A, LONG);
    request.cancel(false);
    answer.complete(7L);

    assertThat(one.unlocked).containsExactly(one.owner(1));
    assertThat(Permits.awaitHeld(one, 0, Duration.ofSeconds(5))).isZero();
    one.acquire(A, LONG).get(5, TimeUnit.SECONDS).release();
  }

  @Test
  void aStoreThatCannotBeAskedFailsTheRequestWithItsFailure() throws Exception {
    Instance one = instance();
    IllegalStateException down = new IllegalStateException("the store is down");
    one.nextAnswer.set(CompletableFuture.failedFuture(down));
    assertThatThrownBy(() -> one.acquire(A, LONG).get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isSameAs(down);
    assertThat(Permits.awaitHeld(one, 0, Duration.ofSeconds(5))).isZero();
    one.acquire(A, LONG).get(5, TimeUnit.SECONDS).release();
  }

  @Test
  void aFailedUnlockStillPassesTheKeyOnInTheInstance() throws Exception {
    Instance one = instance();
    Permit first = one.acquire(A, LONG).get(5, TimeUnit.SECONDS);
    CompletableFuture<Permit> second = one.acquire(A, Duration.ofSeconds(5));
    one.failUnlock = true;
    leases.holders.clear(); // as if the lease ran out by itself
    first.release();
    second.get(5, TimeUnit.SECONDS).release();
  }

  @Test
  void renewalsKeepALeaseValidPastItsTime() throws Exception {
    Instance one = instance(1500, true);
    Permit permit = one.acquire(A, LONG).get(5, TimeUnit.SECONDS);
    Thread.sleep(3500);
    assertThat(permit.valid()).as("renewed every 500 ms").isTrue();
    assertThat(one.renewals.get()).isGreaterThanOrEqualTo(2);
    permit.release();
    int renewals = one.renewals.get();
    Thread.sleep(1000);
    assertThat(one.renewals).as("no renewal after the release").hasValue(renewals);
  }

  @Test
  void aRenewalThatFindsTheLeaseLostEndsItsValidityAtOnce() throws Exception {
    Instance one = instance(3000, true);
    long start = System.nanoTime();
    Permit permit = one.acquire(A, LONG).get(5, TimeUnit.SECONDS);
    leases.holders.clear(); // the store lost the lease
    await(() -> !permit.valid(), "the permit invalid");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("at the first renewal, before the lease's own end")
        .isLessThan(Duration.ofMillis(2500));
    Thread.sleep(1500);
    assertThat(one.renewals).as("renewals end with the lease").hasValue(1);
    permit.release();
  }

  @Test
  void closeFailsTheRequestsWaitingForALeaseAndLaterOnes() throws Exception {
    Contended c = contended(LONG);
    Instance two = c.two();
    two.close();
    assertThatThrownBy(() -> c.waiting().get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(PermitUnavailableException.class);
    assertThat(two.abandoned).containsExactly(two.owner(1));
    assertThat(Permits.awaitHeld(two, 0, Duration.ofSeconds(5))).isZero();
    assertThatThrownBy(() -> two.acquire(new ResourceKey("/b"), LONG).get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(PermitUnavailableException.class);
  }

  @Test
  void aPermitCarriesNoStoreEntryWithoutAValidatorStore() throws Exception {
    Permit permit = instance().acquire(A, LONG).get(5, TimeUnit.SECONDS);
    assertThat(permit.storeEntry()).isNull();
    permit.release();
  }

  @Test
  void aStoreEntryHoldsWhatTheGrantReadAndItsCommitReleasesThePermit() throws Exception {
    StoreInstance one = new StoreInstance(leases);
    instances.add(one);
    Validators v1 = Validators.of(EntityTag.strong("v1"), null);
    Validators v2 = Validators.of(EntityTag.strong("v2"), null);
    one.store.put(A, v1);
    Permit first = one.acquire(A, LONG).get(5, TimeUnit.SECONDS);
    one.store.put(A, v2); // read with the grant, not later
    StoreEntry entry = first.storeEntry();
    assertThat(entry).isNotNull();
    assertThat(entry.store()).isSameAs(one.store);
    assertThat(entry.found()).isEqualTo(v1);
    CompletableFuture<Permit> second = one.acquire(A, LONG);

    assertThat(entry.compareAndSetAndRelease(v2, v1)).isTrue();
    assertThat(one.store.get(A)).isEqualTo(v1);
    assertThat(first.valid()).isFalse();
    assertThat(one.committed).containsExactly(one.owner(1));
    Permit next = second.get(5, TimeUnit.SECONDS);
    assertThat(next.fencingToken()).hasValue(2);
    first.release();
    assertThat(one.unlocked).as("the commit ended the lease; the release sends nothing more").isEmpty();
    next.release();
    assertThat(one.unlocked).containsExactly(one.owner(2));
  }

  @Test
  void aRefusedCommitLeavesThePermitHeld() throws Exception {
    StoreInstance one = new StoreInstance(leases);
    instances.add(one);
    Validators v1 = Validators.of(EntityTag.strong("v1"), null);
    Permit first = one.acquire(A, LONG).get(5, TimeUnit.SECONDS);
    StoreEntry entry = java.util.Objects.requireNonNull(first.storeEntry());
    assertThat(entry.found()).isNull();
    CompletableFuture<Permit> second = one.acquire(A, LONG);

    assertThat(entry.compareAndSetAndRelease(v1, Validators.of(EntityTag.strong("v2"), null))).isFalse();
    assertThat(one.store.get(A)).isNull();
    assertThat(first.valid()).isTrue();
    assertThat(second).isNotDone();
    first.release();
    assertThat(one.unlocked).containsExactly(one.owner(1));
    second.get(5, TimeUnit.SECONDS).release();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("waited 10 s for %s", what).isNegative();
      Thread.sleep(5);
    }
  }

  /** The shared store: who holds each key's lease, and the token counter. */
  private static final class Leases {
    final Map<ResourceKey, String> holders = new ConcurrentHashMap<>();
    final AtomicLong tokens = new AtomicLong();
  }

  /**
   * An instance whose validator store shares the lease store: grants read the key's validators,
   * a commit that succeeds ends the lease in the same step.
   */
  private static final class StoreInstance extends Instance {
    final ValidatorStore store;
    final Map<String, Validators> found = new ConcurrentHashMap<>();
    final List<String> committed = new CopyOnWriteArrayList<>();

    StoreInstance(Leases leases) {
      this(leases, Builtins.caffeineStore(100));
    }

    private StoreInstance(Leases leases, ValidatorStore store) {
      super(leases, 30_000, false, store);
      this.store = store;
    }

    @Override
    protected CompletableFuture<Long> tryLock(ResourceKey key, String owner) {
      synchronized (leases) {
        CompletableFuture<Long> answer = super.tryLock(key, owner);
        Validators v = store.get(key);
        if (answer.getNow(0L) > 0 && v != null) {
          found.put(owner, v);
        }
        return answer;
      }
    }

    @Override
    protected @Nullable Validators found(ResourceKey key, String owner) {
      return found.get(owner);
    }

    @Override
    protected boolean compareAndSetAndUnlock(ResourceKey key, String owner, long token, @Nullable Validators expected,
        @Nullable Validators next) {
      synchronized (leases) {
        if (!store.compareAndSet(key, expected, next)) {
          return false;
        }
        committed.add(owner);
        leases.holders.remove(key, owner);
        return true;
      }
    }
  }

  /** One instance's sequencer on the shared {@link Leases}; it answers at once unless told otherwise. */
  private static class Instance extends LeasedWriteSequencer<String> {
    private static final AtomicInteger NAMES = new AtomicInteger();
    final Leases leases;
    final String prefix = "i" + NAMES.incrementAndGet() + "-";
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicInteger renewals = new AtomicInteger();
    final List<String> unlocked = new CopyOnWriteArrayList<>();
    final List<String> abandoned = new CopyOnWriteArrayList<>();
    /** The answer to the next attempt, instead of the store's. */
    final AtomicReference<CompletableFuture<Long>> nextAnswer = new AtomicReference<>();
    volatile boolean failUnlock;

    Instance(Leases leases, long leaseMillis, boolean renewLease) {
      this(leases, leaseMillis, renewLease, null);
    }

    Instance(Leases leases, long leaseMillis, boolean renewLease, @Nullable ValidatorStore store) {
      super("etag-guard-test-", leaseMillis, renewLease, 16, store);
      this.leases = leases;
    }

    String owner(int request) {
      return prefix + request;
    }

    @Override
    protected String newRequest(ResourceKey key) {
      return owner(requests.incrementAndGet());
    }

    @Override
    protected CompletableFuture<Long> tryLock(ResourceKey key, String owner) {
      attempts.incrementAndGet();
      CompletableFuture<Long> answer = nextAnswer.getAndSet(null);
      if (answer != null) {
        return answer;
      }
      synchronized (leases) {
        return CompletableFuture.completedFuture(leases.holders.putIfAbsent(key, owner) == null
            ? leases.tokens.incrementAndGet() : 0L);
      }
    }

    @Override
    protected CompletableFuture<Boolean> renew(ResourceKey key, String owner, long token) {
      renewals.incrementAndGet();
      return CompletableFuture.completedFuture(owner.equals(leases.holders.get(key)));
    }

    @Override
    protected CompletableFuture<?> unlock(ResourceKey key, String owner, long leaseEnds) {
      unlocked.add(owner);
      if (failUnlock) {
        return CompletableFuture.failedFuture(new IllegalStateException("the store is down"));
      }
      leases.holders.remove(key, owner);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    protected void abandon(ResourceKey key, String owner) {
      abandoned.add(owner);
    }
  }
}
