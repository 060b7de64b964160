package dev.etagguard.spring;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where several instances of the application share ETag Guard's state, under
 * {@code etag-guard.cluster.}: {@code redis.*} (module {@code etag-guard-cluster-redis}) or
 * {@code postgres.*} (module {@code etag-guard-cluster-postgres}). Each is off until its
 * {@code enabled} is {@code true} and its module is on the class path; the names follow the
 * modules' builder methods ({@code leaseTime} is {@code lease-time}). The in-process queue in front
 * of the shared lock is bounded by {@code etag-guard.max-waiters-per-key}.
 *
 * <p>These are the older names of options of the table ({@link dev.etagguard.settings.GuardSettings#options()}):
 * {@code etag-guard.cluster.redis.address} is {@code redisAddress} ({@code etag-guard.redis-address}),
 * {@code enabled} is {@code sharedStore}; {@link ETagGuardProperties#bindSettings} binds them into
 * the {@code GuardSettings} bean, where the cluster modules read them as on every other route. This
 * class describes them for IDEs.
 *
 * <p>Not thread-safe; bound once at start.
 *
 * @since 0.1
 */
@ConfigurationProperties("etag-guard.cluster")
public class ETagGuardClusterProperties {

  private final Redis redis = new Redis();
  private final Postgres postgres = new Postgres();

  /** The Redis settings. */
  public Redis getRedis() {
    return redis;
  }

  /** The PostgreSQL settings. */
  public Postgres getPostgres() {
    return postgres;
  }

  /** Validators and write permits on Redis (or Valkey), through Redisson. */
  public static class Redis {
    /** Whether ETag Guard keeps its validators and write permits in Redis. */
    private boolean enabled;

    /**
     * The Redis server when the application has no RedissonClient bean (redis:// or rediss://);
     * a RedissonClient bean is used as it is.
     */
    private String address = "redis://127.0.0.1:6379";

    /** The user name for the address, if any. */
    private String username;

    /** The password for the address, if any. */
    private String password;

    /** Redis command timeout of the client created for the address; short, so an outage gives 503 fast. */
    private Duration timeout = Duration.ofSeconds(1);

    /** The prefix of every Redis key; applications sharing a Redis need different prefixes. */
    private String keyPrefix = "etag-guard:";

    /** How long a write permit outlives a silent holder (renewed while held unless renew-lease is false). */
    private Duration leaseTime = Duration.ofSeconds(30);

    /** Whether a held write permit renews its lease every third of lease-time. */
    private boolean renewLease = true;

    /** How long a resource's validators live after their last change; 0 for ever. */
    private Duration entryTtl = Duration.ofDays(1);

    /** Whether Redis is on. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Switches Redis on or off. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** The address. */
    public String getAddress() {
      return address;
    }

    /** Sets the address. */
    public void setAddress(String address) {
      this.address = address;
    }

    /** The user name. */
    public String getUsername() {
      return username;
    }

    /** Sets the user name. */
    public void setUsername(String username) {
      this.username = username;
    }

    /** The password. */
    public String getPassword() {
      return password;
    }

    /** Sets the password. */
    public void setPassword(String password) {
      this.password = password;
    }

    /** The command timeout. */
    public Duration getTimeout() {
      return timeout;
    }

    /** Sets the command timeout. */
    public void setTimeout(Duration timeout) {
      this.timeout = timeout;
    }

    /** The key prefix. */
    public String getKeyPrefix() {
      return keyPrefix;
    }

    /** Sets the key prefix. */
    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }

    /** The lease time. */
    public Duration getLeaseTime() {
      return leaseTime;
    }

    /** Sets the lease time. */
    public void setLeaseTime(Duration leaseTime) {
      this.leaseTime = leaseTime;
    }

    /** Whether leases are renewed. */
    public boolean isRenewLease() {
      return renewLease;
    }

    /** Sets whether leases are renewed. */
    public void setRenewLease(boolean renewLease) {
      this.renewLease = renewLease;
    }

    /** The entry time to live. */
    public Duration getEntryTtl() {
      return entryTtl;
    }

    /** Sets the entry time to live. */
    public void setEntryTtl(Duration entryTtl) {
      this.entryTtl = entryTtl;
    }
  }

  /** Validators and write permits on PostgreSQL, through the application's DataSource. */
  public static class Postgres {
    /** Whether ETag Guard keeps its validators and write permits in PostgreSQL (the application's DataSource). */
    private boolean enabled;

    /** The validators table, optionally schema-qualified. */
    private String table = "etag_guard_validators";

    /** The sequence fencing tokens are drawn from. */
    private String tokenSequence = "etag_guard_fencing_token";

    /** How long a write permit outlives a silent holder (renewed while held unless renew-lease is false). */
    private Duration leaseTime = Duration.ofSeconds(30);

    /** Whether a held write permit renews its lease every third of lease-time. */
    private boolean renewLease = true;

    /** Whether the table and the sequence are created at start when missing. */
    private boolean createSchema = true;

    /** Whether PostgreSQL is on. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Switches PostgreSQL on or off. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** The table. */
    public String getTable() {
      return table;
    }

    /** Sets the table. */
    public void setTable(String table) {
      this.table = table;
    }

    /** The token sequence. */
    public String getTokenSequence() {
      return tokenSequence;
    }

    /** Sets the token sequence. */
    public void setTokenSequence(String tokenSequence) {
      this.tokenSequence = tokenSequence;
    }

    /** The lease time. */
    public Duration getLeaseTime() {
      return leaseTime;
    }

    /** Sets the lease time. */
    public void setLeaseTime(Duration leaseTime) {
      this.leaseTime = leaseTime;
    }

    /** Whether leases are renewed. */
    public boolean isRenewLease() {
      return renewLease;
    }

    /** Sets whether leases are renewed. */
    public void setRenewLease(boolean renewLease) {
      this.renewLease = renewLease;
    }

    /** Whether the schema is created at start. */
    public boolean isCreateSchema() {
      return createSchema;
    }

    /** Sets whether the schema is created at start. */
    public void setCreateSchema(boolean createSchema) {
      this.createSchema = createSchema;
    }
  }
}
