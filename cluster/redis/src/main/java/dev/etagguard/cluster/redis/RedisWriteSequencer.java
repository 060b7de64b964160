package dev.etagguard.cluster.redis;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.support.LeasedWriteSequencer;

import org.jspecify.annotations.Nullable;
import org.redisson.api.RScript;
import org.redisson.client.codec.StringCodec;

/**
 * Write permits as Redis leases with fencing tokens: the Redis half (lock, renew and unlock
 * scripts) of a {@link LeasedWriteSequencer}, which queues, retries, renews and releases. A lease is
 * {@code SET <lock> <owner> NX PX <leaseTime>}, one owner name per request; a taken lease answers
 * with its remaining time, the latest moment worth trying again. Every call to Redis is
 * asynchronous but the commit's; the timer thread only schedules retries and renewals.
 *
 * <p>The sequencer and the {@link RedisValidatorStore} of one {@link RedisCluster} share a
 * resource's hash, so a permit carries its {@linkplain Permit#storeEntry() store entry}: the lock
 * script also reads the validators, and a commit that succeeds ends the lease in its own script.
 * An uncontended write then costs three round trips: lock and read, the marker's
 * compare-and-set, the commit's compare-and-set with the unlock.
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
final class RedisWriteSequencer extends LeasedWriteSequencer<RedisWriteSequencer.Owner> {

  // KEYS[1] state, KEYS[2] lock; ARGV[1] owner, ARGV[2] lease ms, ARGV[3] state ttl ms (0 none).
  // Returns {token, validators ('' none)} when granted, else {minus the lease's remaining ms}.
  private static final String LOCK = """
      if redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
        local t = redis.call('time')
        local token = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local state = redis.call('hmget', KEYS[1], 't', 'v')
        local last = tonumber(state[1] or '0')
        if last >= token then token = last + 1 end
        redis.call('hset', KEYS[1], 't', string.format('%.0f', token))
        if tonumber(ARGV[3]) > 0 then redis.call('pexpire', KEYS[1], ARGV[3]) end
        return {token, state[2] or ''}
      end
      local ttl = redis.call('pttl', KEYS[2])
      if ttl < 1 then ttl = 1 end
      return {-ttl}
      """;

  // KEYS[1] state, KEYS[2] lock; ARGV[1..3] those of the store's compare-and-set, ARGV[4] owner.
  // The store's compare-and-set; when it succeeds, the owner's lease ends with it.
  private static final String COMPARE_AND_SET_AND_UNLOCK = RedisValidatorStore.SET_IF_EXPECTED + """
      if redis.call('get', KEYS[2]) == ARGV[4] then redis.call('del', KEYS[2]) end
      return 1
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
  private final RedisValidatorStore store;
  private final RScript script;
  private final String ownerPrefix = UUID.randomUUID() + ":";
  private final AtomicLong owners = new AtomicLong();

  RedisWriteSequencer(RedisCluster.Scripts redis, RedisValidatorStore store, long leaseMillis, boolean renewLease,
      int maxWaitersPerKey) {
    super("etag-guard-redis-", leaseMillis, renewLease, maxWaitersPerKey, store);
    this.redis = redis;
    this.store = store;
    this.script = redis.redisson.getScript(StringCodec.INSTANCE);
  }

  /** A request's lease owner, unique to the request, and the validators its grant read. */
  static final class Owner {
    final String name;
    volatile @Nullable Validators found;

    Owner(String name) {
      this.name = name;
    }
  }

  @Override
  protected Owner newRequest(ResourceKey key) {
    return new Owner(ownerPrefix + owners.incrementAndGet());
  }

  @Override
  protected CompletableFuture<Long> tryLock(ResourceKey key, Owner owner) {
    return script.<List<Object>>evalAsync(RScript.Mode.READ_WRITE, LOCK, RScript.ReturnType.LIST,
        List.of(redis.state(key), redis.lock(key)), owner.name, Long.toString(leaseMillis()),
        Long.toString(redis.entryTtlMillis)).toCompletableFuture().thenApply(answer -> {
          long token = Long.parseLong(String.valueOf(answer.get(0)));
          if (token > 0) {
            owner.found = RedisValidatorStore.decodeQuietly(key, answer.size() > 1 ? (String) answer.get(1) : null);
          }
          return token;
        });
  }

  @Override
  protected CompletableFuture<Boolean> renew(ResourceKey key, Owner owner, long token) {
    return script.<Long>evalAsync(RScript.Mode.READ_WRITE, RENEW, RScript.ReturnType.LONG, List.of(redis.lock(key)),
        owner.name, Long.toString(leaseMillis())).toCompletableFuture()
        .thenApply(renewed -> renewed != null && renewed == 1L);
  }

  @Override
  protected CompletableFuture<?> unlock(ResourceKey key, Owner owner, long leaseEnds) {
    return script.<Long>evalAsync(RScript.Mode.READ_WRITE, UNLOCK, RScript.ReturnType.LONG, List.of(redis.lock(key)),
        owner.name).toCompletableFuture();
  }

  /** What the grant read. */
  @Override
  protected @Nullable Validators found(ResourceKey key, Owner owner) {
    return owner.found;
  }

  @Override
  protected boolean compareAndSetAndUnlock(ResourceKey key, Owner owner, long token, @Nullable Validators expected,
      @Nullable Validators next) {
    Object[] cas = store.casArguments(expected, next);
    Long done = script.eval(RScript.Mode.READ_WRITE, COMPARE_AND_SET_AND_UNLOCK, RScript.ReturnType.LONG,
        List.of(redis.state(key), redis.lock(key)), cas[0], cas[1], cas[2], owner.name);
    return done != null && done == 1L;
  }

  @Override
  public String toString() {
    return "RedisWriteSequencer{keyPrefix=" + redis.keyPrefix + ", leaseTime=" + leaseMillis() + "ms, renewLease="
        + renewLease() + "}";
  }
}
