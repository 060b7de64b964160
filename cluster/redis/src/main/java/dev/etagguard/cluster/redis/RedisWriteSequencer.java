package dev.etagguard.cluster.redis;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import dev.etagguard.spi.ResourceKey;
import dev.etagguard.support.LeasedWriteSequencer;

import org.redisson.api.RScript;
import org.redisson.client.codec.StringCodec;

/**
 * Write permits as Redis leases with fencing tokens: the Redis half (lock, renew and unlock
 * scripts) of a {@link LeasedWriteSequencer}, which queues, retries, renews and releases. A lease is
 * {@code SET <lock> <owner> NX PX <leaseTime>}, one owner name per request; a taken lease answers
 * with its remaining time, the latest moment worth trying again. Every call to Redis is
 * asynchronous; the timer thread only schedules retries and renewals.
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
final class RedisWriteSequencer extends LeasedWriteSequencer<String> {

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
  private final String ownerPrefix = UUID.randomUUID() + ":";
  private final AtomicLong owners = new AtomicLong();

  RedisWriteSequencer(RedisCluster.Scripts redis, long leaseMillis, boolean renewLease, int maxWaitersPerKey) {
    super("etag-guard-redis-", leaseMillis, renewLease, maxWaitersPerKey);
    this.redis = redis;
    this.script = redis.redisson.getScript(StringCodec.INSTANCE);
  }

  /** The lease's owner: unique to the request. */
  @Override
  protected String newRequest(ResourceKey key) {
    return ownerPrefix + owners.incrementAndGet();
  }

  @Override
  protected CompletableFuture<Long> tryLock(ResourceKey key, String owner) {
    return script.<Long>evalAsync(RScript.Mode.READ_WRITE, LOCK, RScript.ReturnType.LONG, List.of(redis.state(key),
        redis.lock(key)), owner, Long.toString(leaseMillis()), Long.toString(redis.entryTtlMillis)).toCompletableFuture();
  }

  @Override
  protected CompletableFuture<Boolean> renew(ResourceKey key, String owner, long token) {
    return script.<Long>evalAsync(RScript.Mode.READ_WRITE, RENEW, RScript.ReturnType.LONG, List.of(redis.lock(key)),
        owner, Long.toString(leaseMillis())).toCompletableFuture().thenApply(renewed -> renewed != null && renewed == 1L);
  }

  @Override
  protected CompletableFuture<?> unlock(ResourceKey key, String owner, long leaseEnds) {
    return script.<Long>evalAsync(RScript.Mode.READ_WRITE, UNLOCK, RScript.ReturnType.LONG, List.of(redis.lock(key)),
        owner).toCompletableFuture();
  }

  @Override
  public String toString() {
    return "RedisWriteSequencer{keyPrefix=" + redis.keyPrefix + ", leaseTime=" + leaseMillis() + "ms, renewLease="
        + renewLease() + "}";
  }
}
