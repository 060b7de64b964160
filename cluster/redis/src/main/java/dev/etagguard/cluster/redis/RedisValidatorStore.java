package dev.etagguard.cluster.redis;

import java.lang.System.Logger.Level;
import java.util.List;

import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;

import org.jspecify.annotations.Nullable;
import org.redisson.api.RScript;
import org.redisson.client.codec.StringCodec;

/**
 * Validators in field {@code v} of a resource's hash. Writes commit by {@link #compareAndSet}, one
 * Lua script comparing encoded forms; {@link #put} (what a read observed) records nothing, see
 * {@link ValidatorStore}. Reads of the store fail quietly (a missing entry is safe);
 * compare-and-set throws when Redis cannot be reached.
 */
final class RedisValidatorStore implements ValidatorStore {

  private static final System.Logger LOG = System.getLogger(RedisValidatorStore.class.getName());

  // KEYS[1] state; ARGV[1] expected ('' none), ARGV[2] next ('' none), ARGV[3] ttl ms (0 none).
  // Returns 0 when the state holds other validators; else sets them and goes on (the script that
  // commits and unlocks in one ends the lease next).
  static final String SET_IF_EXPECTED = """
      local current = redis.call('hget', KEYS[1], 'v') or ''
      if current ~= ARGV[1] then return 0 end
      if ARGV[2] == '' then
        redis.call('hdel', KEYS[1], 'v')
      else
        redis.call('hset', KEYS[1], 'v', ARGV[2])
        if tonumber(ARGV[3]) > 0 then redis.call('pexpire', KEYS[1], ARGV[3]) end
      end
      """;

  private static final String COMPARE_AND_SET = SET_IF_EXPECTED + "return 1\n";

  private final RedisCluster.Scripts redis;
  private final RScript script;

  RedisValidatorStore(RedisCluster.Scripts redis) {
    this.redis = redis;
    this.script = redis.redisson.getScript(StringCodec.INSTANCE);
  }

  @Override
  public @Nullable Validators get(ResourceKey key) {
    try {
      return decodeQuietly(key, redis.redisson.<String, String>getMap(redis.state(key), StringCodec.INSTANCE).get("v"));
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not read the validators of " + key, e);
      return null;
    }
  }

  @Override
  public void put(ResourceKey key, Validators validators) {
    // A read's observation is not recorded: after the entry expired or Redis restarted empty, a
    // read that began before the last write would record that write's predecessor.
  }

  @Override
  public void invalidate(ResourceKey key) {
    try {
      redis.redisson.getMap(redis.state(key), StringCodec.INSTANCE).fastRemove("v");
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not forget the validators of " + key, e);
    }
  }

  @Override
  public boolean compareAndSet(ResourceKey key, @Nullable Validators expected, @Nullable Validators next) {
    Long done = script.eval(RScript.Mode.READ_WRITE, COMPARE_AND_SET, RScript.ReturnType.LONG,
        List.of(redis.state(key)), casArguments(expected, next));
    return done != null && done == 1L;
  }

  /** ARGV[1] to ARGV[3] of {@link #SET_IF_EXPECTED}. */
  Object[] casArguments(@Nullable Validators expected, @Nullable Validators next) {
    return new Object[] {expected == null ? "" : ValidatorStore.encode(expected),
        next == null ? "" : ValidatorStore.encode(next), Long.toString(redis.entryTtlMillis)};
  }

  /** Decodes the field {@code v} as read by a script; {@code null} when absent or not readable. */
  static @Nullable Validators decodeQuietly(ResourceKey key, @Nullable String v) {
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return ValidatorStore.decode(v);
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not read the validators of " + key, e);
      return null;
    }
  }

  @Override
  public String toString() {
    return "RedisValidatorStore{keyPrefix=" + redis.keyPrefix + ", entryTtl=" + redis.entryTtlMillis + "ms}";
  }
}
