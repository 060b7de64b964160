package dev.etagguard.cluster.redis;

import java.util.concurrent.TimeUnit;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.SharedStore;

import org.redisson.api.RedissonClient;

/**
 * The shared store {@code sharedStore=redis}: a {@link RedisCluster} on a client of its own, made
 * from the options {@code redisAddress}, {@code redisUsername}, {@code redisPassword} and
 * {@code redisTimeout} ({@link RedisCluster#client(GuardSettings)}), configured by
 * {@code redisKeyPrefix}, {@code redisEntryTtl}, {@code leaseTime} and {@code renewLease}. Found by
 * the engine through {@link java.util.ServiceLoader}; in code, use {@link RedisCluster} itself.
 *
 * <p>The client connects lazily: a Redis that cannot be reached at start does not stop the
 * application, whose writes are answered 503 until Redis is back. Closing the engine stops the
 * sequencer and shuts the client down. Stateless and thread-safe.
 *
 * @since 0.1
 */
public final class RedisSharedStore implements SharedStore {

  /** The store, as {@link java.util.ServiceLoader} makes it. */
  public RedisSharedStore() {
  }

  /** {@code redis}. */
  @Override
  public String name() {
    return "redis";
  }

  @Override
  public Opened open(GuardSettings settings) {
    RedissonClient client = RedisCluster.client(settings);
    RedisCluster cluster;
    try {
      cluster = RedisCluster.builder(client).options(settings).build();
    } catch (RuntimeException e) {
      client.shutdown(0, 5, TimeUnit.SECONDS);
      throw e;
    }
    return Opened.of(cluster.store(), cluster.sequencer(), () -> {
      try {
        cluster.close();
      } finally {
        client.shutdown(0, 5, TimeUnit.SECONDS);
      }
    });
  }
}
