package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.etagguard.spi.WriteSequencer;

/**
 * Waiting for a sequencer's held permits to reach a count. A client can read a response before
 * the server thread has released its permit, and a test can start a write before its permit is
 * granted: both settle within moments, so tests wait (bounded) before asserting the count.
 */
public final class Permits {

  private Permits() {
  }

  /**
   * Waits until {@code sequencer} holds exactly {@code count} permits, at most {@code max}.
   *
   * @return the count held when the wait ended, for the caller to assert
   */
  public static int awaitHeld(WriteSequencer sequencer, int count, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (sequencer.heldPermits() != count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return sequencer.heldPermits();
  }

  /**
   * Waits until {@code sequencer} has exactly {@code count} acquisitions waiting, at most {@code max}.
   *
   * @return the count waiting when the wait ended, for the caller to assert
   */
  public static int awaitWaiting(WriteSequencer sequencer, int count, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (sequencer.waitingPermits() != count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return sequencer.waitingPermits();
  }

  /**
   * Asserts that {@code sequencer} is left with no permit held (waiting up to 5 s for those
   * released as their exchanges end) and no key.
   */
  public static void assertNoneLeft(WriteSequencer sequencer) throws InterruptedException {
    assertThat(awaitHeld(sequencer, 0, Duration.ofSeconds(5))).as("permits held after the test").isZero();
    assertThat(sequencer.activeKeys()).as("sequencer keys left").isZero();
  }
}
