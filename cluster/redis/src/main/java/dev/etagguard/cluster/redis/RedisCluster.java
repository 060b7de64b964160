package dev.etagguard.cluster.redis;

import java.time.Duration;
import java.util.Objects;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * ETag Guard's shared state on Redis (or Valkey), for several instances of an application behind
 * a load balancer: a {@link ValidatorStore} and a {@link WriteSequencer} on one
 * {@link RedissonClient} (standalone, sentinel or cluster; the application configures and owns
 * it).
 *
 * <ul>
 *   <li><b>Validators</b> of a resource live in the hash {@code <keyPrefix>{<key>}} (field
 *       {@code v}, {@link ValidatorStore#encode}'s text form); a write commits by a Lua
 *       compare-and-set, so Redis is the arbiter between two writers. Entries expire
 *       {@code entryTtl} after their last change (an expired entry is only re-learned).</li>
 *   <li><b>Write permits</b> are leases, {@code SET <keyPrefix>{<key>}:lock <owner> NX PX
 *       <leaseTime>}, renewed every third of {@code leaseTime} while held (unless
 *       {@code renewLease} is off) and released only by their owner. A waiting writer polls with a
 *       short back-off (at most 20 ms). Each grant draws a fencing token in the same script: the
 *       larger of the key's last token plus one and the Redis server's clock in microseconds, so
 *       tokens keep growing across a restart of a Redis without persistence, provided the clock
 *       of the server that grants after the restart (or failover) reads later than the last
 *       token drawn before it (no step back, replicas' clocks in sync; see
 *       {@code RedisWriteSequencer}). (Redisson's
 *       {@code RFencedLock} keeps a counter in Redis, which such a restart resets; a handler that
 *       fences would then refuse every write.)</li>
 *   <li>The key's hash tag ({@code {<key>}}) puts a resource's keys into one slot, as Redis
 *       Cluster requires of a script's keys.</li>
 *   <li>Within one instance, requests for one key queue in the built-in in-process sequencer
 *       first (FIFO, {@code maxWaitersPerKey}), so each instance has at most one waiter per key
 *       polling Redis.</li>
 * </ul>
 *
 * <p>Give the client short command timeouts (Redisson's {@code timeout}, {@code retryAttempts}):
 * while Redis is unreachable, writes are answered 503 once a command fails, and reads go on
 * without the store.
 *
 * <pre>{@code
 * RedisCluster cluster = RedisCluster.builder(redisson).keyPrefix("wiki:").build();
 * GuardEngine engine = cluster.engine(GuardSettings.builder().guardedPaths("/articles/*").build());
 * servletContext.addFilter("etagGuard", new ETagGuardFilter(engine));
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops the sequencer's timer; it does not shut the client down.
 *
 * @since 0.1
 */
public final class RedisCluster implements AutoCloseable {

  private final RedisValidatorStore store;
  private final RedisWriteSequencer sequencer;

  private RedisCluster(Builder b) {
    Scripts scripts = new Scripts(b.redisson, b.keyPrefix, b.entryTtl.toMillis());
    this.store = new RedisValidatorStore(scripts);
    this.sequencer = new RedisWriteSequencer(scripts, store, b.leaseTime.toMillis(), b.renewLease, b.maxWaitersPerKey);
  }

  /** A builder on the given client. */
  public static Builder builder(RedissonClient redisson) {
    return new Builder(redisson);
  }

  /**
   * A client for one server, as the options describe it: {@code redisAddress},
   * {@code redisUsername}, {@code redisPassword}, {@code redisTimeout} (also the connect timeout),
   * one retry. It connects lazily, so an application starts while Redis is away (its writes are
   * answered 503 until Redis is back). The caller owns it ({@link RedissonClient#shutdown()}).
   *
   * @throws IllegalArgumentException naming the option, for an address or timeout it cannot use
   * @since 0.1
   */
  public static RedissonClient client(GuardSettings settings) {
    GuardSettings.option("redisAddress").passTo(settings.redisAddress(), RedisCluster::checkAddress);
    GuardSettings.option("redisTimeout").passTo(settings.redisTimeout(), RedisCluster::checkTimeout);
    Config config = new Config();
    config.setLazyInitialization(true);
    int timeout = (int) settings.redisTimeout().toMillis();
    config.useSingleServer().setAddress(settings.redisAddress()).setTimeout(timeout).setConnectTimeout(timeout)
        .setRetryAttempts(1);
    if (!settings.redisUsername().isEmpty()) {
      config.setUsername(settings.redisUsername());
    }
    if (!settings.redisPassword().isEmpty()) {
      config.setPassword(settings.redisPassword());
    }
    return Redisson.create(config);
  }

  private static void checkAddress(String address) {
    if (!address.matches("rediss?://[^\\s/]+")) {
      throw new IllegalArgumentException("expected redis://host:port, or rediss://host:port for TLS");
    }
  }

  private static void checkTimeout(Duration timeout) {
    if (timeout.toMillis() < 1 || timeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("redisTimeout must be between 1 ms and 24 days");
    }
  }

  /** The shared validator store. */
  public ValidatorStore store() {
    return store;
  }

  /** The shared write sequencer. */
  public WriteSequencer sequencer() {
    return sequencer;
  }

  /** An engine with these settings on this cluster's store and sequencer. */
  public GuardEngine engine(GuardSettings settings) {
    return GuardEngine.builder(settings).store(store).sequencer(sequencer).build();
  }

  /** Stops the sequencer's timer. */
  @Override
  public void close() {
    sequencer.close();
  }

  @Override
  public String toString() {
    return "RedisCluster{" + store + ", " + sequencer + "}";
  }

  /**
   * Builds a {@link RedisCluster}. Method names match the options ({@code keyPrefix} is
   * {@code redisKeyPrefix}, {@code leaseTime} is {@code leaseTime}) and the Spring properties
   * {@code etag-guard.cluster.redis.<kebab-case>}; {@link #options(GuardSettings)} takes them all
   * from settings. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private final RedissonClient redisson;
    private String keyPrefix = "etag-guard:";
    private Duration leaseTime = Duration.ofSeconds(30);
    private boolean renewLease = true;
    private Duration entryTtl = Duration.ofDays(1);
    private int maxWaitersPerKey = 256;

    private Builder(RedissonClient redisson) {
      this.redisson = Objects.requireNonNull(redisson, "redisson");
    }

    /**
     * The prefix of every Redis key; default {@code etag-guard:}. Applications sharing a Redis
     * need different prefixes. No braces (they would break the hash tag).
     */
    public Builder keyPrefix(String keyPrefix) {
      if (keyPrefix == null || keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
        throw new IllegalArgumentException("keyPrefix must not contain braces: " + keyPrefix);
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * How long a write permit outlives a silent holder; default 30 s. With {@code renewLease}
     * (the default) a live holder keeps it; without, it is the longest a write may take.
     */
    public Builder leaseTime(Duration leaseTime) {
      if (leaseTime.toMillis() < 100) {
        throw new IllegalArgumentException("leaseTime must be at least 100 ms: " + leaseTime);
      }
      this.leaseTime = leaseTime;
      return this;
    }

    /** Whether a held permit renews its lease every third of {@code leaseTime}; default {@code true}. */
    public Builder renewLease(boolean renewLease) {
      this.renewLease = renewLease;
      return this;
    }

    /** How long a resource's entry lives after its last change; default 1 day; {@code 0} for ever. */
    public Builder entryTtl(Duration entryTtl) {
      if (entryTtl.isNegative()) {
        throw new IllegalArgumentException("entryTtl must be >= 0: " + entryTtl);
      }
      this.entryTtl = entryTtl;
      return this;
    }

    /** How many requests of this instance may wait for one key; default 256. */
    public Builder maxWaitersPerKey(int maxWaitersPerKey) {
      if (maxWaitersPerKey < 0) {
        throw new IllegalArgumentException("maxWaitersPerKey must be >= 0: " + maxWaitersPerKey);
      }
      this.maxWaitersPerKey = maxWaitersPerKey;
      return this;
    }

    /**
     * Takes the options of {@code settings} that Redis reads ({@code redisKeyPrefix},
     * {@code redisEntryTtl}, {@code leaseTime}, {@code renewLease}, {@code maxWaitersPerKey}),
     * checked as the methods here check them, with a message naming the option.
     *
     * @throws IllegalArgumentException naming the option, for a value this builder refuses
     * @since 0.1
     */
    public Builder options(GuardSettings settings) {
      GuardSettings.option("redisKeyPrefix").passTo(settings.redisKeyPrefix(), this::keyPrefix);
      GuardSettings.option("redisEntryTtl").passTo(settings.redisEntryTtl(), this::entryTtl);
      GuardSettings.option("leaseTime").passTo(settings.leaseTime(), this::leaseTime);
      renewLease(settings.renewLease());
      GuardSettings.option("maxWaitersPerKey").passTo(settings.maxWaitersPerKey(), this::maxWaitersPerKey);
      return this;
    }

    /** The cluster. */
    public RedisCluster build() {
      return new RedisCluster(this);
    }
  }

  /** The Redis side: key names and the Lua scripts, shared by the store and the sequencer. */
  static final class Scripts {
    final RedissonClient redisson;
    final String keyPrefix;
    final long entryTtlMillis;

    Scripts(RedissonClient redisson, String keyPrefix, long entryTtlMillis) {
      this.redisson = redisson;
      this.keyPrefix = keyPrefix;
      this.entryTtlMillis = entryTtlMillis;
    }

    /** The hash of a resource: validators ({@code v}) and last fencing token ({@code t}). */
    String state(ResourceKey key) {
      return keyPrefix + "{" + key.value() + "}";
    }

    /** The lease of a resource's write permit. */
    String lock(ResourceKey key) {
      return state(key) + ":lock";
    }

  }
}
