package dev.etagguard.support;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import dev.etagguard.spi.WriteSequencer.Permit;

/**
 * A permit request in two steps, the second started with the first one's permit (a cluster
 * sequencer's in-process front permit, then the shared lock), that honours the cancellation
 * contract of {@link dev.etagguard.spi.WriteSequencer#acquire}: when the caller abandons the
 * returned future (cancels it, or completes it exceptionally), the step in progress is cancelled
 * too, and a permit either step grants afterwards is released at once.
 * {@link CompletableFuture#thenCompose} does not do this: cancelling its stage leaves the inner
 * future running, and the permit it is granted later is held by nobody.
 */
final class ChainedAcquisition {

  private ChainedAcquisition() {
  }

  static CompletableFuture<Permit> chain(CompletableFuture<Permit> first,
      Function<? super Permit, ? extends CompletableFuture<Permit>> then) {
    CompletableFuture<Permit> result = new CompletableFuture<>();
    // The step in progress, which an abandoned result cancels.
    AtomicReference<CompletableFuture<Permit>> step = new AtomicReference<>(first);
    first.whenComplete((front, failure) -> {
      if (failure != null) {
        result.completeExceptionally(failure);
        return;
      }
      if (result.isDone()) {
        front.release(); // abandoned while the first step was being granted
        return;
      }
      CompletableFuture<Permit> second;
      try {
        second = then.apply(front);
      } catch (Throwable t) {
        front.release();
        result.completeExceptionally(t);
        return;
      }
      step.set(second);
      second.whenComplete((permit, secondFailure) -> {
        if (secondFailure != null) {
          result.completeExceptionally(secondFailure);
        } else if (!result.complete(permit)) {
          permit.release(); // granted after the request was abandoned
        }
      });
      if (result.isCompletedExceptionally()) {
        second.cancel(false); // abandoned while the second step was being started
      }
    });
    result.whenComplete((permit, failure) -> {
      if (failure != null) {
        step.get().cancel(false); // no effect on a step already done
      }
    });
    return result;
  }
}
