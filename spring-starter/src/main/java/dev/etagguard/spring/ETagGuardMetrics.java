package dev.etagguard.spring;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.etagguard.GuardEngine;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.jspecify.annotations.Nullable;

/**
 * ETag Guard's Micrometer meters:
 *
 * <ul>
 *   <li>{@value #REQUESTS} (counter), tag {@code outcome}: {@code served}, {@code not_modified},
 *       {@code precondition_failed}, {@code precondition_required}, {@code bad_request},
 *       {@code unavailable}, {@code range_not_satisfiable}, {@code conflict}, {@code passed_through};
 *   <li>{@value #PERMIT_WAIT} (timer): how long writes (and, with {@code read-permits}, reads)
 *       waited for their resource's permit;
 *   <li>{@value #PERMITS_HELD} (gauge): permits held now (shared read permits included);
 *   <li>{@value #PERMITS_WAITING} (gauge): requests waiting for a permit now (the queue depth);
 *   <li>{@value #NOT_MODIFIED_BYTES} (counter, bytes): representation bytes not sent because a 304
 *       answered instead, where the length was known;
 *   <li>{@value #LOST_UPDATES_PREVENTED} (counter): writes refused with 412 because their
 *       precondition no longer held;
 *   <li>{@value #RETRIES_RECOGNIZED} (counter): replays of writes that had already succeeded,
 *       answered with their original success;
 *   <li>{@value #STORE_SIZE} (gauge): the validator store's estimated size;
 *   <li>{@value #STORE_LOOKUPS} (counter), tag {@code result} = {@code hit} or {@code miss}, and
 *       {@value #STORE_HIT_RATIO} (gauge): the store's lookups, hits over all lookups.
 * </ul>
 *
 * <p>Every outcome's counter exists from the start, at zero. Thread-safe.
 */
final class ETagGuardMetrics implements GuardInstrumentation {

  static final String REQUESTS = "etag.guard.requests";
  static final String PERMIT_WAIT = "etag.guard.permit.wait";
  static final String PERMITS_HELD = "etag.guard.permits.held";
  static final String PERMITS_WAITING = "etag.guard.permits.waiting";
  static final String NOT_MODIFIED_BYTES = "etag.guard.not.modified.bytes";
  static final String LOST_UPDATES_PREVENTED = "etag.guard.lost.updates.prevented";
  static final String RETRIES_RECOGNIZED = "etag.guard.retries.recognized";
  static final String STORE_SIZE = "etag.guard.store.size";
  static final String STORE_LOOKUPS = "etag.guard.store.lookups";
  static final String STORE_HIT_RATIO = "etag.guard.store.hit.ratio";

  private final MeterRegistry registry;
  private final Map<GuardListener.Decision, Counter> requests = new EnumMap<>(GuardListener.Decision.class);
  private final Timer permitWait;
  private final Counter notModifiedBytes;
  private final Counter lostUpdatesPrevented;
  private final Counter retriesRecognized;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  ETagGuardMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (GuardListener.Decision decision : GuardListener.Decision.values()) {
      requests.put(decision, Counter.builder(REQUESTS)
          .description("Requests by what ETag Guard did with them")
          .tag("outcome", decision.name().toLowerCase(Locale.ROOT))
          .register(registry));
    }
    this.permitWait = Timer.builder(PERMIT_WAIT)
        .description("How long writes (and reads, with read-permits) waited for their resource's permit")
        .register(registry);
    this.notModifiedBytes = Counter.builder(NOT_MODIFIED_BYTES)
        .description("Representation bytes not sent because a 304 Not Modified answered instead (where the length was known)")
        .baseUnit("bytes")
        .register(registry);
    this.lostUpdatesPrevented = Counter.builder(LOST_UPDATES_PREVENTED)
        .description("Writes refused with 412 because their precondition no longer held")
        .register(registry);
    this.retriesRecognized = Counter.builder(RETRIES_RECOGNIZED)
        .description("Replays of writes that had already succeeded, answered with their original success")
        .register(registry);
  }

  @Override
  public GuardListener listener() {
    return new GuardListener() {
      @Override
      public void onDecision(ResourceKey key, String method, Decision decision) {
        requests.get(decision).increment();
      }

      @Override
      public void onPermitGranted(ResourceKey key, long waitNanos) {
        permitWait.record(waitNanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void onPermitUnavailable(ResourceKey key, long waitNanos) {
        permitWait.record(waitNanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void onNotModified(ResourceKey key, String method, long bytesNotSent) {
        if (bytesNotSent > 0) {
          notModifiedBytes.increment(bytesNotSent);
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
    };
  }

  @Override
  public ValidatorStore instrument(ValidatorStore store) {
    FunctionCounter.builder(STORE_LOOKUPS, hits, LongAdder::doubleValue)
        .description("Validator store lookups").tag("result", "hit").register(registry);
    FunctionCounter.builder(STORE_LOOKUPS, misses, LongAdder::doubleValue)
        .description("Validator store lookups").tag("result", "miss").register(registry);
    Gauge.builder(STORE_HIT_RATIO, this, ETagGuardMetrics::hitRatio)
        .description("Validator store lookups that found the resource's validators, over all lookups")
        .strongReference(true).register(registry);
    return new CountingStore(store, hits, misses);
  }

  @Override
  public void bind(GuardEngine engine) {
    Gauge.builder(STORE_SIZE, engine, e -> orNaN(e.store().estimatedSize()))
        .description("Resources whose validators the store holds (estimate)")
        .strongReference(true).register(registry);
    Gauge.builder(PERMITS_HELD, engine, e -> orNaN(e.sequencer().heldPermits()))
        .description("Permits held now (writes', and reads' with read-permits)")
        .strongReference(true).register(registry);
    Gauge.builder(PERMITS_WAITING, engine, e -> orNaN(e.sequencer().waitingPermits()))
        .description("Requests waiting for their resource's permit now (the queue depth)")
        .strongReference(true).register(registry);
  }

  private double hitRatio() {
    long h = hits.sum();
    long total = h + misses.sum();
    return total == 0 ? Double.NaN : (double) h / total;
  }

  private static double orNaN(long value) {
    return value < 0 ? Double.NaN : value;
  }

  /** Counts hits and misses of {@link ValidatorStore#get}; everything else is the store's. */
  private record CountingStore(ValidatorStore store, LongAdder hits, LongAdder misses) implements ValidatorStore {
    @Override
    public ValidatorStore decorated() {
      return store;
    }


    @Override
    public @Nullable Validators get(ResourceKey key) {
      Validators v = store.get(key);
      (v == null ? misses : hits).increment();
      return v;
    }

    @Override
    public void put(ResourceKey key, Validators validators) {
      store.put(key, validators);
    }

    @Override
    public void invalidate(ResourceKey key) {
      store.invalidate(key);
    }

    @Override
    public long estimatedSize() {
      return store.estimatedSize();
    }

    @Override
    public String toString() {
      return store.toString();
    }
  }
}
