package dev.etagguard;

import java.io.IOException;
import java.time.Duration;
import java.util.function.LongSupplier;

import org.jspecify.annotations.Nullable;

/**
 * The pace of the request content a write reads from its client while it holds its resource's
 * permit (option {@code minContentRate}): one per write, made by {@link Exchange#contentRate()}.
 * The host's stream over the client's content tells it when a read starts waiting for the client
 * ({@link #waiting()}: a blocking read begins, or a non-blocking one finds nothing ready) and when
 * bytes arrive ({@link #arrived(long)}); only that waiting counts, not the handler's own time
 * between reads. After {@link #ALLOWANCE} of waiting, the bytes received must keep up with the
 * rate over the rest of it; a client that falls behind fails the read ({@link TooSlowException})
 * and every later one, and {@link #tooSlow()} tells the host to answer 408.
 *
 * <p>Content the guard received before the permit is not read through it: it neither counts nor
 * waits. A read that waits for bytes that never come returns only when the server's idle timeout
 * ends it; the meter is told then.
 *
 * <p>Not thread-safe, except {@link #tooSlow()}: one read at a time, as a request's content is read.
 *
 * @since 0.3
 */
public final class ContentRate {

  /** The waiting allowed before the rate counts: the first bytes' round trip (a 100 Continue's). */
  public static final Duration ALLOWANCE = Duration.ofSeconds(1);

  private static final double NANOS_PER_SECOND = 1e9;

  private final long bytesPerSecond;
  private final long allowanceNanos;
  private final LongSupplier nanoClock;
  private long waitingSince = -1;
  private long waited;
  private long received;
  private volatile boolean tooSlow;
  private volatile @Nullable Runnable whenTooSlow;

  ContentRate(long bytesPerSecond, long allowanceNanos, LongSupplier nanoClock) {
    this.bytesPerSecond = bytesPerSecond;
    this.allowanceNanos = allowanceNanos;
    this.nanoClock = nanoClock;
  }

  /** A meter of at least {@code bytesPerSecond} ({@code 0}: none), timed by {@link System#nanoTime()}. */
  static ContentRate of(long bytesPerSecond) {
    return new ContentRate(bytesPerSecond, ALLOWANCE.toNanos(), System::nanoTime);
  }

  /**
   * A read starts waiting for the client: a blocking read is about to block, or a non-blocking
   * reader found nothing ready. Waiting already is waiting still.
   *
   * @throws TooSlowException when the client already fell behind
   */
  public void waiting() throws TooSlowException {
    if (tooSlow) {
      throw new TooSlowException(bytesPerSecond);
    }
    if (waitingSince < 0) {
      waitingSince = nanoClock.getAsLong();
    }
  }

  /**
   * A read returned: {@code bytes} arrived ({@code 0} for none, the end included). Ends the wait
   * and checks the pace.
   *
   * @throws TooSlowException when the client fell behind (the bytes are then not to be used)
   */
  public void arrived(long bytes) throws TooSlowException {
    if (waitingSince >= 0) {
      waited += nanoClock.getAsLong() - waitingSince;
      waitingSince = -1;
    }
    received += Math.max(0, bytes);
    if (tooSlow || bytesPerSecond > 0 && waited > allowanceNanos
        && received < bytesPerSecond * ((waited - allowanceNanos) / NANOS_PER_SECOND)) {
      if (!tooSlow) {
        tooSlow = true;
        Runnable action = whenTooSlow;
        if (action != null) {
          action.run();
        }
      }
      throw new TooSlowException(bytesPerSecond);
    }
  }

  /**
   * Runs {@code action} on the reading thread when the client falls behind, before that read
   * fails: for a host that answers at once a write whose handler reads on its own (asynchronously),
   * where no step of the flow follows the read.
   *
   * @param action what to do, once
   * @since 0.3
   */
  public void whenTooSlow(Runnable action) {
    this.whenTooSlow = action;
  }

  /** Whether the client fell behind: its content read failed, and the answer is 408 if not sent yet. */
  public boolean tooSlow() {
    return tooSlow;
  }

  @Override
  public String toString() {
    return "ContentRate{" + bytesPerSecond + " B/s, " + received + " bytes in " + waited / 1_000_000 + " ms waited}";
  }

  /**
   * A read of content under a permit failed because the client sent it slower than
   * {@code minContentRate}: the client is treated as one that left.
   *
   * @since 0.3
   */
  public static final class TooSlowException extends IOException {
    private static final long serialVersionUID = 1L;

    TooSlowException(long bytesPerSecond) {
      super("Request content arrived slower than " + bytesPerSecond + " bytes/s (minContentRate)");
    }
  }
}
