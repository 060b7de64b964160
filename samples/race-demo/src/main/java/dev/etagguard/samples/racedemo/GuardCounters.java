package dev.etagguard.samples.racedemo;

import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link GuardListener} that counts what the Spring Boot starter's meters count: lost updates
 * prevented (412 on a write), 304s and the bytes they did not send, retries recognized, and permit
 * waits. Thread-safe.
 */
final class GuardCounters implements GuardListener {

    private final LongAdder lostUpdatesPrevented = new LongAdder();
    private final LongAdder notModified = new LongAdder();
    private final LongAdder bytesNotSent = new LongAdder();
    private final LongAdder retriesRecognized = new LongAdder();
    private final LongAdder permitWaits = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();

    @Override
    public void onNotModified(ResourceKey key, String method, long bytes) {
        notModified.increment();
        if (bytes > 0) {
            bytesNotSent.add(bytes);
        }
    }

    @Override
    public void onLostUpdatePrevented(ResourceKey key, String method) {
        lostUpdatesPrevented.increment();
    }

    @Override
    public void onRetryRecognized(ResourceKey key, String method) {
        retriesRecognized.increment();
    }

    @Override
    public void onPermitGranted(ResourceKey key, long nanos) {
        permitWaits.increment();
        waitNanos.add(nanos);
    }

    @Override
    public void onPermitUnavailable(ResourceKey key, long nanos) {
        permitWaits.increment();
        waitNanos.add(nanos);
    }

    /** The counts so far, with the largest queue the caller sampled. */
    Snapshot snapshot(int maxQueue) {
        long waits = permitWaits.sum();
        return new Snapshot(lostUpdatesPrevented.sum(), notModified.sum(), bytesNotSent.sum(), retriesRecognized.sum(),
                waits, waits == 0 ? 0 : waitNanos.sum() / 1e6 / waits, maxQueue);
    }

    /**
     * What the guard counted in one phase.
     *
     * @param lostUpdatesPrevented writes refused with 412 because their precondition no longer held
     * @param notModified 304s answered
     * @param bytesNotSent representation bytes those 304s did not send
     * @param retriesRecognized replays of writes that had already succeeded
     * @param permitWaits permits requested (granted or given up)
     * @param meanWaitMillis their mean wait
     * @param maxQueue the most requests seen waiting for a permit at once (sampled)
     */
    public record Snapshot(long lostUpdatesPrevented, long notModified, long bytesNotSent, long retriesRecognized,
            long permitWaits, double meanWaitMillis, int maxQueue) {
    }
}
