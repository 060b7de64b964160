/**
 * ETag Guard on Redis (or Valkey), through Redisson: a validator store (compare-and-set by Lua
 * script) and a write sequencer (fenced leases), shared by every instance of an application.
 * Start from {@link dev.etagguard.cluster.redis.RedisCluster}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.cluster.redis;

import org.jspecify.annotations.NullMarked;
