package dev.etagguard.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.spi.WriteSequencer.Permit;
import dev.etagguard.spi.WriteSequencer.PermitUnavailableException;

import org.junit.jupiter.api.Test;

/**
 * {@link WriteSequencer#local(int)}: per-key FIFO permits. Grants happen synchronously inside
 * {@code acquire} or {@code release}, so these tests observe them without waiting; only the
 * timeout test waits, for a timer of a few milliseconds.
 */
class LocalWriteSequencerTest {

  private static final Duration LONG = Duration.ofMinutes(5);
  private static final ResourceKey A = new ResourceKey("/a");
  private static final ResourceKey B = new ResourceKey("/b");

  private final WriteSequencer sequencer = WriteSequencer.local(16);

  @Test
  void anUncontendedAcquireIsCompleteAtOnce() {
    CompletableFuture<Permit> f = sequencer.acquire(A, LONG);
    assertThat(f).isCompleted();
    assertThat(f.join().key()).isEqualTo(A);
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    assertThat(sequencer.activeKeys()).isEqualTo(1);
    f.join().release();
    assertIdle();
  }

  @Test
  void aSecondAcquireOnTheSameKeyWaitsForTheRelease() {
    Permit first = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> second = sequencer.acquire(A, LONG);
    assertThat(second).isNotDone();
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    first.release();
    assertThat(second).isCompleted();
    assertThat(second.join().key()).isEqualTo(A);
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    second.join().release();
    assertIdle();
  }

  @Test
  void waitersAreServedInArrivalOrder() {
    Permit holder = sequencer.acquire(A, LONG).join();
    List<Integer> order = new CopyOnWriteArrayList<>();
    List<CompletableFuture<Permit>> waiters = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      int n = i;
      CompletableFuture<Permit> w = sequencer.acquire(A, LONG);
      w.thenRun(() -> order.add(n));
      waiters.add(w);
    }
    assertThat(waiters).noneMatch(CompletableFuture::isDone);
    holder.release();
    for (int i = 0; i < 5; i++) {
      assertThat(order).as("after %d releases", i + 1).containsExactlyElementsOf(range(i + 1));
      assertThat(waiters.subList(i + 1, 5)).noneMatch(CompletableFuture::isDone);
      assertThat(sequencer.heldPermits()).isEqualTo(1);
      waiters.get(i).join().release();
    }
    assertThat(order).containsExactly(0, 1, 2, 3, 4);
    assertIdle();
  }

  @Test
  void differentKeysNeverWait() {
    Permit a = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> b = sequencer.acquire(B, LONG);
    assertThat(b).isCompleted();
    assertThat(sequencer.heldPermits()).isEqualTo(2);
    assertThat(sequencer.activeKeys()).isEqualTo(2);
    a.release();
    b.join().release();
    assertIdle();
  }

  @Test
  void aTimedOutWaiterFailsAndLeavesNoPermitHeld() throws Exception {
    Permit holder = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> late = sequencer.acquire(A, Duration.ofMillis(20));
    CompletableFuture<Permit> next = sequencer.acquire(A, LONG);
    assertThatThrownBy(() -> late.get(1, TimeUnit.MINUTES))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(PermitUnavailableException.class,
            e -> assertThat(e.queueFull()).isFalse());
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    holder.release();
    assertThat(next).as("the permit skips the timed-out waiter").isCompleted();
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    next.join().release();
    assertIdle();
  }

  @Test
  void aTimedOutSoleWaiterLeavesNoStateAfterTheRelease() throws Exception {
    Permit holder = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> late = sequencer.acquire(A, Duration.ofMillis(1));
    assertThatThrownBy(() -> late.get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(PermitUnavailableException.class);
    holder.release();
    assertIdle();
  }

  @Test
  void aTimedOutWaiterFreesItsPlaceInTheQueue() throws Exception {
    WriteSequencer one = WriteSequencer.local(1);
    Permit holder = one.acquire(A, LONG).join();
    CompletableFuture<Permit> late = one.acquire(A, Duration.ofMillis(1));
    assertThatThrownBy(() -> late.get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(PermitUnavailableException.class);
    // The waiter leaves the queue in a completion action that may still be running: poll, without
    // side effects (a rejected acquisition leaves no state), until its place is free.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    CompletableFuture<Permit> next = one.acquire(A, LONG);
    while (next.isCompletedExceptionally() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      next = one.acquire(A, LONG);
    }
    assertThat(next).as("a timed-out waiter must not keep its place in a full queue").isNotDone();
    holder.release();
    assertThat(next).isCompleted();
    next.join().release();
    assertThat(one.heldPermits()).isZero();
    assertThat(one.activeKeys()).isZero();
  }

  @Test
  void aCancelledWaiterIsSkipped() {
    Permit holder = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> cancelled = sequencer.acquire(A, LONG);
    CompletableFuture<Permit> next = sequencer.acquire(A, LONG);
    cancelled.cancel(false);
    holder.release();
    assertThat(next).isCompleted();
    next.join().release();
    assertIdle();
  }

  @Test
  void aFullQueueFailsAtOnce() {
    WriteSequencer small = WriteSequencer.local(2);
    Permit holder = small.acquire(A, LONG).join();
    CompletableFuture<Permit> w1 = small.acquire(A, LONG);
    CompletableFuture<Permit> w2 = small.acquire(A, LONG);
    CompletableFuture<Permit> rejected = small.acquire(A, LONG);
    assertThat(rejected).isCompletedExceptionally();
    assertThatThrownBy(rejected::join).cause().isInstanceOfSatisfying(PermitUnavailableException.class,
        e -> assertThat(e.queueFull()).isTrue());
    assertThat(w1).isNotDone();
    assertThat(w2).isNotDone();
    CompletableFuture<Permit> b = small.acquire(B, LONG);
    assertThat(b).as("another key has its own queue").isCompleted();
    holder.release();
    w1.join().release();
    CompletableFuture<Permit> w3 = small.acquire(A, LONG);
    assertThat(w3).as("room again once a waiter was served").isNotDone();
    w2.join().release();
    w3.join().release();
    b.join().release();
    assertThat(small.heldPermits()).isZero();
    assertThat(small.activeKeys()).isZero();
  }

  @Test
  void zeroWaitersMeansOnlyTheHolder() {
    WriteSequencer none = WriteSequencer.local(0);
    Permit holder = none.acquire(A, LONG).join();
    CompletableFuture<Permit> rejected = none.acquire(A, LONG);
    assertThatThrownBy(rejected::join).cause().isInstanceOfSatisfying(PermitUnavailableException.class,
        e -> assertThat(e.queueFull()).isTrue());
    holder.release();
    assertThat(none.heldPermits()).isZero();
    assertThat(none.activeKeys()).isZero();
  }

  @Test
  void releaseIsIdempotent() {
    Permit first = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> second = sequencer.acquire(A, LONG);
    CompletableFuture<Permit> third = sequencer.acquire(A, LONG);
    first.release();
    first.release();
    first.close();
    assertThat(second).isCompleted();
    assertThat(third).as("a repeated release must not pass a second permit on").isNotDone();
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    second.join().close();
    third.join().release();
    third.join().release();
    assertIdle();
  }

  @Test
  void releaseFromAnotherThread() throws Exception {
    Permit first = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> second = sequencer.acquire(A, LONG);
    Thread t = new Thread(first::release);
    t.start();
    t.join(TimeUnit.MINUTES.toMillis(1));
    assertThat(second.get(1, TimeUnit.MINUTES).key()).isEqualTo(A);
    second.join().release();
    assertIdle();
  }

  @Test
  void noStateIsLeftAfterManyDistinctKeys() {
    List<Permit> permits = new ArrayList<>();
    List<CompletableFuture<Permit>> waiters = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      ResourceKey key = new ResourceKey("/k/" + i);
      permits.add(sequencer.acquire(key, LONG).join());
      if (i % 10 == 0) {
        waiters.add(sequencer.acquire(key, LONG));
      }
    }
    assertThat(sequencer.heldPermits()).isEqualTo(10_000);
    assertThat(sequencer.activeKeys()).isEqualTo(10_000);
    permits.forEach(Permit::release);
    assertThat(waiters).allMatch(w -> w.isDone() && !w.isCompletedExceptionally());
    assertThat(sequencer.heldPermits()).isEqualTo(waiters.size());
    waiters.forEach(w -> w.join().release());
    assertIdle();
  }

  @Test
  void negativeWaitersAreRejected() {
    assertThatThrownBy(() -> WriteSequencer.local(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  private void assertIdle() {
    assertThat(sequencer.heldPermits()).as("held permits").isZero();
    assertThat(sequencer.activeKeys()).as("keys with state").isZero();
  }

  private static List<Integer> range(int n) {
    List<Integer> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(i);
    }
    return list;
  }
}
