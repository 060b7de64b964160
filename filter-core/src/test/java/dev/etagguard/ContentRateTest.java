package dev.etagguard;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The pace of content read under a permit (option minContentRate), on a clock the test moves. */
class ContentRateTest {

  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong now = new AtomicLong(42 * SECOND);
  private final ContentRate rate = new ContentRate(100, SECOND, now::get);

  /** One read: waits {@code nanos} for the client, then {@code bytes} arrive. */
  private void read(long nanos, long bytes) throws ContentRate.TooSlowException {
    rate.waiting();
    now.addAndGet(nanos);
    rate.arrived(bytes);
  }

  @Test
  void theFirstBytesMayTakeTheAllowance() {
    assertThatCode(() -> read(SECOND, 1)).doesNotThrowAnyException();
    assertThat(rate.tooSlow()).isFalse();
  }

  @Test
  void afterTheAllowanceTheBytesKeepUpWithTheRate() {
    assertThatCode(() -> {
      read(SECOND, 1);
      read(SECOND, 100); // 101 bytes in 2 s of waiting: 100 due after the allowance
      read(SECOND / 2, 50);
    }).doesNotThrowAnyException();
  }

  @Test
  void aClientThatFallsBehindFailsThisReadAndEveryLaterOne() throws Exception {
    read(SECOND, 1);
    assertThatThrownBy(() -> read(SECOND, 1)).isInstanceOf(ContentRate.TooSlowException.class)
        .hasMessageContaining("100 bytes/s");
    assertThat(rate.tooSlow()).isTrue();
    assertThatThrownBy(rate::waiting).isInstanceOf(ContentRate.TooSlowException.class);
    assertThatThrownBy(() -> rate.arrived(1_000_000)).isInstanceOf(ContentRate.TooSlowException.class);
  }

  @Test
  void theHandlersOwnTimeBetweenReadsDoesNotCount() {
    assertThatCode(() -> {
      read(SECOND / 2, 10);
      now.addAndGet(60 * SECOND); // the handler works; the client waits on it
      read(0, 10);
      read(SECOND / 2, 40);
    }).doesNotThrowAnyException();
  }

  @Test
  void aWaitEndsWithTheEndOfTheContentToo() throws Exception {
    read(SECOND, 1);
    assertThatThrownBy(() -> read(10 * SECOND, 0)).isInstanceOf(ContentRate.TooSlowException.class);
  }

  @Test
  void zeroIsNoMinimum() {
    ContentRate off = new ContentRate(0, SECOND, now::get);
    assertThatCode(() -> {
      off.waiting();
      now.addAndGet(3600 * SECOND);
      off.arrived(0);
    }).doesNotThrowAnyException();
    assertThat(off.tooSlow()).isFalse();
  }
}
