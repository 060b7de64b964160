package dev.etagguard.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.spi.WriteSequencer.Permit;
import dev.etagguard.spi.WriteSequencer.PermitUnavailableException;

import org.junit.jupiter.api.Test;

/**
 * {@link Builtins#chain}: a request in two steps (an in-process front permit, then a lock
 * that stands for a distributed one) whose cancellation reaches the step in progress (issue 19).
 */
class ChainedAcquisitionTest {

  private static final Duration LONG = Duration.ofMinutes(5);
  private static final ResourceKey A = new ResourceKey("/a");

  private final WriteSequencer front = Builtins.localSequencer(16);
  private final AtomicReference<CompletableFuture<Permit>> second = new AtomicReference<>();
  private final AtomicInteger lockReleases = new AtomicInteger();

  /** The second step: a future the test completes, with a permit that releases the front one. */
  private CompletableFuture<Permit> lock(Permit frontPermit) {
    CompletableFuture<Permit> f = new CompletableFuture<>();
    second.set(f);
    return f;
  }

  private Permit lockPermit(Permit frontPermit) {
    return new Permit() {
      @Override
      public ResourceKey key() {
        return frontPermit.key();
      }

      @Override
      public void release() {
        lockReleases.incrementAndGet();
        frontPermit.release();
      }
    };
  }

  @Test
  void grantsThePermitOfTheSecondStep() {
    AtomicReference<Permit> frontPermit = new AtomicReference<>();
    CompletableFuture<Permit> request = Builtins.chain(front.acquire(A, LONG), p -> {
      frontPermit.set(p);
      return lock(p);
    });
    assertThat(request).isNotDone();
    Permit granted = lockPermit(frontPermit.get());
    second.get().complete(granted);
    assertThat(request.join()).isSameAs(granted);
    granted.release();
    assertThat(front.heldPermits()).isZero();
  }

  @Test
  void cancelledWhileQueuedLeavesTheQueue() {
    Permit holder = front.acquire(A, LONG).join();
    CompletableFuture<Permit> request = Builtins.chain(front.acquire(A, LONG), this::lock);
    assertThat(front.waitingPermits()).isEqualTo(1);
    request.cancel(false);
    assertThat(front.waitingPermits()).as("the first step was cancelled too").isZero();
    holder.release();
    assertThat(second.get()).as("the second step never starts").isNull();
    assertThat(front.heldPermits()).isZero();
    assertThat(front.activeKeys()).isZero();
  }

  @Test
  void cancelledDuringTheSecondStepCancelsItAndItsLateGrantIsReleased() {
    AtomicReference<Permit> frontPermit = new AtomicReference<>();
    CompletableFuture<Permit> request = Builtins.chain(front.acquire(A, LONG), p -> {
      frontPermit.set(p);
      return lock(p);
    });
    request.cancel(false);
    assertThat(second.get()).as("the cancellation reaches the second step").isCancelled();
    // The step learns it when it is granted (as the cluster sequencers do): it releases at once.
    Permit late = lockPermit(frontPermit.get());
    if (!second.get().complete(late)) {
      late.release();
    }
    assertThat(lockReleases).hasValue(1);
    assertThat(front.heldPermits()).isZero();
    assertThat(front.activeKeys()).isZero();
  }

  @Test
  void completedExceptionallyByTheCallerIsAbandonedToo() {
    CompletableFuture<Permit> request = Builtins.chain(front.acquire(A, LONG), this::lock);
    request.completeExceptionally(new PermitUnavailableException("the caller gave up", false));
    assertThat(second.get()).isCancelled();
  }

  @Test
  void failuresOfEitherStepFailTheRequest() {
    AtomicReference<Permit> frontPermit = new AtomicReference<>();
    CompletableFuture<Permit> lockFails = Builtins.chain(front.acquire(A, LONG), p -> {
      frontPermit.set(p);
      return lock(p);
    });
    frontPermit.get().release(); // a failing step releases its front permit (the contract of chain)
    second.get().completeExceptionally(new PermitUnavailableException("lock service gone", false));
    assertThatThrownBy(lockFails::join).isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(PermitUnavailableException.class);
    CompletableFuture<Permit> cannotStart = Builtins.chain(front.acquire(A, LONG), p -> {
      throw new IllegalStateException("cannot start");
    });
    assertThatThrownBy(cannotStart::join).hasCauseInstanceOf(IllegalStateException.class);
    CompletableFuture<Permit> firstFails = Builtins.chain(
        CompletableFuture.failedFuture(new PermitUnavailableException("full", true)), this::lock);
    assertThatThrownBy(firstFails::join).hasCauseInstanceOf(PermitUnavailableException.class);
    assertThat(front.heldPermits()).as("the chain released the front permit of the step that could not start")
        .isZero();
    assertThat(front.activeKeys()).isZero();
  }
}
