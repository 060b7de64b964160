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
 * {@link Builtins#localSequencer(int)}: per-key FIFO permits, exclusive and shared. Grants happen synchronously inside
 * {@code acquire} or {@code release}, so these tests observe them without waiting; only the
 * timeout test waits, for a timer of a few milliseconds.
 */
class LocalWriteSequencerTest {

  private static final Duration LONG = Duration.ofMinutes(5);
  private static final ResourceKey A = new ResourceKey("/a");
  private static final ResourceKey B = new ResourceKey("/b");

  private final WriteSequencer sequencer = Builtins.localSequencer(16);

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
  void waitingPermitsIsTheQueueDepth() {
    assertThat(sequencer.waitingPermits()).isZero();
    Permit writer = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> reader1 = sequencer.acquireShared(A, LONG);
    CompletableFuture<Permit> reader2 = sequencer.acquireShared(A, LONG);
    CompletableFuture<Permit> writer2 = sequencer.acquire(A, LONG);
    CompletableFuture<Permit> other = sequencer.acquire(B, LONG);
    assertThat(other).isCompleted();
    assertThat(sequencer.waitingPermits()).isEqualTo(3);
    writer2.cancel(false);
    assertThat(sequencer.waitingPermits()).isEqualTo(2);
    writer.release();
    assertThat(reader1).isCompleted();
    assertThat(reader2).isCompleted();
    assertThat(sequencer.waitingPermits()).isZero();
    reader1.join().release();
    reader2.join().release();
    other.join().release();
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
    WriteSequencer one = Builtins.localSequencer(1);
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

  /** The contract of {@link WriteSequencer#acquireShared} (issue 19): a cancelled request holds nothing, ever. */
  @Test
  void aCancelledSharedRequestBehindAWriterIsNeverGranted() {
    Permit writer = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> reader = sequencer.acquireShared(A, LONG);
    assertThat(reader).isNotDone();
    reader.cancel(false);
    assertThat(sequencer.waitingPermits()).as("the cancelled request left the queue").isZero();
    writer.release();
    assertThat(sequencer.heldPermits()).isZero();
    CompletableFuture<Permit> next = sequencer.acquire(A, LONG);
    assertThat(next).as("granted at once").isCompleted();
    next.join().release();
    assertIdle();
  }

  @Test
  void aFullQueueFailsAtOnce() {
    WriteSequencer small = Builtins.localSequencer(2);
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
    WriteSequencer none = Builtins.localSequencer(0);
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

  // ---------------------------------------------------------------- shared (read) permits

  @Test
  void readersHoldTheKeyTogether() {
    List<Permit> readers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      CompletableFuture<Permit> r = sequencer.acquireShared(A, LONG);
      assertThat(r).as("reader %d", i).isCompleted();
      readers.add(r.join());
    }
    assertThat(sequencer.heldPermits()).isEqualTo(5);
    assertThat(sequencer.activeKeys()).isEqualTo(1);
    readers.forEach(Permit::release);
    assertIdle();
  }

  @Test
  void aWriterWaitsForAllReadersAndReadersWaitForTheWriter() {
    Permit r1 = sequencer.acquireShared(A, LONG).join();
    Permit r2 = sequencer.acquireShared(A, LONG).join();
    CompletableFuture<Permit> writer = sequencer.acquire(A, LONG);
    assertThat(writer).isNotDone();
    r1.release();
    assertThat(writer).as("one reader still holds the key").isNotDone();
    r2.release();
    assertThat(writer).isCompleted();
    CompletableFuture<Permit> reader = sequencer.acquireShared(A, LONG);
    assertThat(reader).as("a reader waits while the writer holds the key").isNotDone();
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    writer.join().release();
    assertThat(reader).isCompleted();
    reader.join().release();
    assertIdle();
  }

  @Test
  void aReaderArrivingAfterAWaitingWriterQueuesBehindIt() {
    Permit r1 = sequencer.acquireShared(A, LONG).join();
    CompletableFuture<Permit> writer = sequencer.acquire(A, LONG);
    CompletableFuture<Permit> lateReader = sequencer.acquireShared(A, LONG);
    assertThat(lateReader).as("FIFO: no overtaking a waiting writer, so writers never starve").isNotDone();
    r1.release();
    assertThat(writer).isCompleted();
    assertThat(lateReader).isNotDone();
    writer.join().release();
    assertThat(lateReader).isCompleted();
    lateReader.join().release();
    assertIdle();
  }

  @Test
  void grantsFollowArrivalOrderAndConsecutiveReadersGoTogether() {
    Permit w0 = sequencer.acquire(A, LONG).join();
    List<String> order = new CopyOnWriteArrayList<>();
    CompletableFuture<Permit> r1 = track(sequencer.acquireShared(A, LONG), "r1", order);
    CompletableFuture<Permit> r2 = track(sequencer.acquireShared(A, LONG), "r2", order);
    CompletableFuture<Permit> w3 = track(sequencer.acquire(A, LONG), "w3", order);
    CompletableFuture<Permit> r4 = track(sequencer.acquireShared(A, LONG), "r4", order);
    CompletableFuture<Permit> w5 = track(sequencer.acquire(A, LONG), "w5", order);
    w0.release();
    assertThat(order).containsExactly("r1", "r2");
    assertThat(sequencer.heldPermits()).isEqualTo(2);
    r2.join().release();
    assertThat(order).containsExactly("r1", "r2");
    r1.join().release();
    assertThat(order).containsExactly("r1", "r2", "w3");
    w3.join().release();
    assertThat(order).containsExactly("r1", "r2", "w3", "r4");
    r4.join().release();
    assertThat(order).containsExactly("r1", "r2", "w3", "r4", "w5");
    assertThat(sequencer.heldPermits()).isEqualTo(1);
    w5.join().release();
    assertIdle();
  }

  @Test
  void readersBehindATimedOutWriterAreLetInWithTheHoldingReaders() throws Exception {
    Permit r1 = sequencer.acquireShared(A, LONG).join();
    // Long enough that the next two lines run before it fires, even on a loaded machine.
    CompletableFuture<Permit> writer = sequencer.acquire(A, Duration.ofSeconds(1));
    CompletableFuture<Permit> r2 = sequencer.acquireShared(A, LONG);
    assertThat(r2).as("a reader does not overtake the waiting writer").isNotDone();
    assertThatThrownBy(() -> writer.get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(PermitUnavailableException.class);
    // The writer leaves the queue in a completion action; the reader behind it is then granted.
    assertThat(r2.get(1, TimeUnit.MINUTES).key()).isEqualTo(A);
    assertThat(sequencer.heldPermits()).isEqualTo(2);
    r1.release();
    r2.join().release();
    assertIdle();
  }

  @Test
  void aCancelledReaderInABatchIsReleasedAndTheRestGoOn() {
    Permit w = sequencer.acquire(A, LONG).join();
    CompletableFuture<Permit> r1 = sequencer.acquireShared(A, LONG);
    CompletableFuture<Permit> r2 = sequencer.acquireShared(A, LONG);
    CompletableFuture<Permit> w2 = sequencer.acquire(A, LONG);
    r1.cancel(false);
    w.release();
    assertThat(r2).isCompleted();
    assertThat(w2).isNotDone();
    r2.join().release();
    assertThat(w2).as("the cancelled reader holds nothing").isCompleted();
    w2.join().release();
    assertIdle();
  }

  @Test
  void readersCountTowardsTheQueueBound() {
    WriteSequencer small = Builtins.localSequencer(1);
    Permit w = small.acquire(A, LONG).join();
    CompletableFuture<Permit> r1 = small.acquireShared(A, LONG);
    CompletableFuture<Permit> r2 = small.acquireShared(A, LONG);
    assertThat(r1).isNotDone();
    assertThatThrownBy(r2::join).cause().isInstanceOfSatisfying(PermitUnavailableException.class,
        e -> assertThat(e.queueFull()).isTrue());
    w.release();
    r1.join().release();
    assertThat(small.heldPermits()).isZero();
    assertThat(small.activeKeys()).isZero();
  }

  @Test
  void sharedReleaseIsIdempotent() {
    Permit r1 = sequencer.acquireShared(A, LONG).join();
    Permit r2 = sequencer.acquireShared(A, LONG).join();
    CompletableFuture<Permit> writer = sequencer.acquire(A, LONG);
    r1.release();
    r1.release();
    assertThat(writer).as("a repeated release must not count as the other reader's").isNotDone();
    r2.close();
    writer.join().release();
    assertIdle();
  }

  @Test
  void manyReadersAndWritersFromManyThreadsLeaveNoState() throws Exception {
    int threads = 8;
    int rounds = 2_000;
    java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<String> violation = new java.util.concurrent.atomic.AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread worker = new Thread(() -> {
        for (int i = 0; i < rounds; i++) {
          boolean write = (i + id) % 4 == 0;
          ResourceKey key = i % 2 == 0 ? A : B;
          Permit p = (write ? sequencer.acquire(key, LONG) : sequencer.acquireShared(key, LONG)).join();
          if (key == A) {
            // A writer is alone: readers add 1, a writer adds 1000.
            int now = inside.addAndGet(write ? 1000 : 1);
            if (now >= 1000 && now != 1000) {
              violation.compareAndSet(null, "writer not alone: " + now);
            }
            inside.addAndGet(write ? -1000 : -1);
          }
          p.release();
        }
      });
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join(TimeUnit.MINUTES.toMillis(1));
    }
    assertThat(violation.get()).isNull();
    assertIdle();
  }

  @Test
  void negativeWaitersAreRejected() {
    assertThatThrownBy(() -> Builtins.localSequencer(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  private void assertIdle() {
    assertThat(sequencer.heldPermits()).as("held permits").isZero();
    assertThat(sequencer.activeKeys()).as("keys with state").isZero();
    assertThat(sequencer.waitingPermits()).as("waiting").isZero();
  }

  private static CompletableFuture<Permit> track(CompletableFuture<Permit> f, String name, List<String> order) {
    f.thenRun(() -> order.add(name));
    return f;
  }

  private static List<Integer> range(int n) {
    List<Integer> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(i);
    }
    return list;
  }

  @Test
  void closeFailsTheWaitersAndEndsTheTimerButHeldPermitsStillRelease() throws Exception {
    WriteSequencer closing = Builtins.localSequencer(16);
    ResourceKey key = new ResourceKey("/closing");
    Permit held = closing.acquire(key, Duration.ofSeconds(30)).get();
    CompletableFuture<Permit> waiting = closing.acquire(key, Duration.ofSeconds(30));
    assertThat(waiting).isNotDone();
    closing.close();
    assertThatThrownBy(waiting::get).hasCauseInstanceOf(PermitUnavailableException.class);
    assertThatThrownBy(() -> closing.acquire(key, Duration.ofSeconds(30)).get())
        .as("a request that must wait after the close").hasCauseInstanceOf(PermitUnavailableException.class);
    held.release();
    assertThat(closing.heldPermits()).isZero();
    assertThat(closing.waitingPermits()).isZero();
    assertThat(closing.activeKeys()).isZero();
    Permit free = closing.acquire(key, Duration.ofSeconds(30)).get(1, TimeUnit.SECONDS);
    free.release();
    closing.close(); // idempotent
  }
}
