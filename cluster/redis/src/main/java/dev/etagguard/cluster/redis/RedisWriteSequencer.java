package dev.etagguard.cluster.redis;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;

import org.jspecify.annotations.Nullable;
import org.redisson.api.RScript;
import org.redisson.client.codec.StringCodec;

/**
 * Write permits as Redis leases with fencing tokens, behind the built-in in-process sequencer
 * (one waiter per key and instance polls Redis). Every call to Redis is asynchronous; the timer
 * thread only schedules retries and renewals.
 *
 * <p><b>Fencing tokens assume a clock.</b> A grant's token is {@code max(last + 1, TIME)}, drawn
 * in the lock script: {@code last} is the resource's previous token (field {@code t} of its state
 * hash), {@code TIME} the granting server's clock in microseconds. While {@code last} is there,
 * tokens grow strictly whatever the clock does. When it is gone (Redis restarted without
 * persistence or from a snapshot older than the last grant, a failover to a replica that had not
 * received the last grant, the hash expired after {@code entryTtl} without writes), the token is
 * the clock alone, and it is larger than the lost {@code last} only if the granting server's clock
 * now reads later than {@code last}: no step back across the restart, and a new primary's clock
 * not behind the old one's by more than the time between the last grant and the next. Otherwise
 * tokens go back: a handler that fences its storage ({@code fence <= ?}) refuses new writes until
 * the clock passes its fence, and a writer stalled since before the loss, holding a larger token,
 * could overwrite a newer write the storage accepted with a smaller one. The guard's own commit
 * does not depend on the tokens' order for safety: it compares the store's validators (see
 * {@code FencedCommit}); a lost state makes the write's outcome 503 {@code write-unconfirmed}.
 */
final class RedisWriteSequencer implements WriteSequencer, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(RedisWriteSequencer.class.getName());
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final long MAX_BACKOFF_MILLIS = 20;

  // KEYS[1] state, KEYS[2] lock; ARGV[1] owner, ARGV[2] lease ms, ARGV[3] state ttl ms (0 none).
  // Returns the fencing token when granted, else minus the lease's remaining milliseconds.
  private static final String LOCK = """
      if redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
        local t = redis.call('time')
        local token = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local last = tonumber(redis.call('hget', KEYS[1], 't') or '0')
        if last >= token then token = last + 1 end
        redis.call('hset', KEYS[1], 't', string.format('%.0f', token))
        if tonumber(ARGV[3]) > 0 then redis.call('pexpire', KEYS[1], ARGV[3]) end
        return token
      end
      local ttl = redis.call('pttl', KEYS[2])
      if ttl < 1 then ttl = 1 end
      return -ttl
      """;

  // KEYS[1] lock; ARGV[1] owner, ARGV[2] lease ms
  private static final String RENEW = """
      if redis.call('get', KEYS[1]) == ARGV[1] then
        redis.call('pexpire', KEYS[1], ARGV[2])
        return 1
      end
      return 0
      """;

  // KEYS[1] lock; ARGV[1] owner
  private static final String UNLOCK = """
      if redis.call('get', KEYS[1]) == ARGV[1] then
        redis.call('del', KEYS[1])
        return 1
      end
      return 0
      """;

  private final RedisCluster.Scripts redis;
  private final RScript script;
  private final long leaseMillis;
  private final boolean renewLease;
  private final WriteSequencer local;
  private final ScheduledExecutorService timer;
  private final String ownerPrefix = UUID.randomUUID() + ":";
  private final AtomicLong owners = new AtomicLong();

  RedisWriteSequencer(RedisCluster.Scripts redis, long leaseMillis, boolean renewLease, int maxWaitersPerKey) {
    this.redis = redis;
    this.script = redis.redisson.getScript(StringCodec.INSTANCE);
    this.leaseMillis = leaseMillis;
    this.renewLease = renewLease;
    this.local = WriteSequencer.local(maxWaitersPerKey);
    String name = "etag-guard-redis-" + INSTANCES.incrementAndGet();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    // Chained, not thenCompose: cancelling the request must reach the lease attempts (issue 19).
    return WriteSequencer.chain(local.acquire(key, maxWait), front -> {
      CompletableFuture<Permit> result = new CompletableFuture<>();
      attempt(key, front, ownerPrefix + owners.incrementAndGet(), deadline, 1, result);
      return result;
    });
  }

  private void attempt(ResourceKey key, Permit front, String owner, long deadline, long backoff,
      CompletableFuture<Permit> result) {
    if (result.isDone()) {
      front.release(); // abandoned (cancelled) between two attempts: stop trying
      return;
    }
    long sent = System.nanoTime();
    CompletableFuture<Long> locked;
    try {
      locked = script.<Long>evalAsync(RScript.Mode.READ_WRITE, LOCK, RScript.ReturnType.LONG, List.of(
          redis.state(key), redis.lock(key)), owner, Long.toString(leaseMillis), Long.toString(redis.entryTtlMillis))
          .toCompletableFuture();
    } catch (RuntimeException e) {
      front.release();
      result.completeExceptionally(e);
      return;
    }
    locked.whenComplete((answer, failure) -> {
      if (failure != null || answer == null) {
        front.release();
        result.completeExceptionally(failure != null ? failure : new IllegalStateException("No answer from Redis"));
        return;
      }
      if (answer > 0) {
        RedisPermit permit = new RedisPermit(key, owner, answer, front, sent);
        if (!result.complete(permit)) {
          permit.release(); // abandoned meanwhile: the lease goes at once, and the front permit with it
        } else if (renewLease) {
          long period = Math.max(1, leaseMillis / 3);
          try {
            permit.renewal = timer.scheduleWithFixedDelay(permit::renew, period, period, TimeUnit.MILLISECONDS);
          } catch (RejectedExecutionException e) {
            LOG.log(Level.DEBUG, "Sequencer closed: the lease of " + key + " is not renewed");
          }
        }
        return;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        front.release();
        result.completeExceptionally(new PermitUnavailableException("Timed out waiting for " + key, false));
        return;
      }
      long wait = Math.min(Math.min(backoff, -answer), TimeUnit.NANOSECONDS.toMillis(left) + 1);
      try {
        timer.schedule(() -> attempt(key, front, owner, deadline, Math.min(backoff * 2, MAX_BACKOFF_MILLIS), result),
            wait, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        front.release();
        result.completeExceptionally(new PermitUnavailableException("The sequencer is closed", false));
      }
    });
  }

  @Override
  public int heldPermits() {
    return local.heldPermits();
  }

  @Override
  public int activeKeys() {
    return local.activeKeys();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    local.close();
  }

  @Override
  public String toString() {
    return "RedisWriteSequencer{keyPrefix=" + redis.keyPrefix + ", leaseTime=" + leaseMillis + "ms, renewLease="
        + renewLease + "}";
  }

  /** A held lease: its owner string, token and the end of the lease as far as this process knows. */
  private final class RedisPermit implements Permit {
    private final ResourceKey key;
    private final String owner;
    private final long token;
    private final Permit front;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile long leaseEnds;
    private volatile @Nullable ScheduledFuture<?> renewal;

    RedisPermit(ResourceKey key, String owner, long token, Permit front, long sent) {
      this.key = key;
      this.owner = owner;
      this.token = token;
      this.front = front;
      this.leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    }

    @Override
    public ResourceKey key() {
      return key;
    }

    @Override
    public OptionalLong fencingToken() {
      return OptionalLong.of(token);
    }

    @Override
    public boolean valid() {
      return !released.get() && leaseEnds - System.nanoTime() > 0;
    }

    void renew() {
      if (released.get()) {
        return;
      }
      long sent = System.nanoTime();
      script.<Long>evalAsync(RScript.Mode.READ_WRITE, RENEW, RScript.ReturnType.LONG, List.of(redis.lock(key)), owner,
          Long.toString(leaseMillis)).whenComplete((renewed, failure) -> {
            if (failure == null && renewed != null && renewed == 1L) {
              leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
            } else if (failure == null) {
              LOG.log(Level.WARNING, () -> "ETag Guard: the write permit of " + key + " lost its lease");
              ScheduledFuture<?> r = renewal;
              if (r != null) {
                r.cancel(false);
              }
            }
          });
    }

    @Override
    public void release() {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      ScheduledFuture<?> r = renewal;
      if (r != null) {
        r.cancel(false);
      }
      try {
        script.<Long>evalAsync(RScript.Mode.READ_WRITE, UNLOCK, RScript.ReturnType.LONG, List.of(redis.lock(key)), owner)
            .whenComplete((unlocked, failure) -> {
              if (failure != null) {
                LOG.log(Level.DEBUG, () -> "Could not release the lease of " + key + "; it expires by itself", failure);
              }
              front.release();
            });
      } catch (RuntimeException e) {
        front.release();
      }
    }

    @Override
    public String toString() {
      return "RedisPermit{" + key + ", token=" + token + "}";
    }
  }
}
