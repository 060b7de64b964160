package dev.etagguard.spring;

import javax.sql.DataSource;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.cluster.postgres.PostgresCluster;
import dev.etagguard.cluster.redis.RedisCluster;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.ObjectProvider;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * ETag Guard's state shared by several instances: with {@code etag-guard.shared-store=redis} or
 * {@code etag-guard.cluster.redis.enabled} (and {@code etag-guard-cluster-redis} on the class path),
 * or {@code etag-guard.shared-store=postgres} or {@code etag-guard.cluster.postgres.enabled} (and
 * {@code etag-guard-cluster-postgres}, and a {@link DataSource} bean), the
 * {@link ValidatorStore} and {@link WriteSequencer} beans that
 * {@link ETagGuardAutoConfiguration} hands to the engine are the cluster's. Runs before it, so its
 * in-process defaults back off; beans of the application's own still win. The store's settings are
 * the options of the {@link GuardSettings} bean ({@code etag-guard.redis-address} and the like, or
 * their older names {@code etag-guard.cluster.redis.address}, see
 * {@link ETagGuardClusterProperties}), read by the cluster modules' {@code options(GuardSettings)},
 * as every other route reads them. Either enabled without
 * its module (or PostgreSQL without a DataSource), or both enabled, fails the start.
 *
 * @since 0.1
 */
@AutoConfiguration(before = ETagGuardAutoConfiguration.class,
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnBooleanProperty(name = "etag-guard.enabled", matchIfMissing = true)
@EnableConfigurationProperties({ETagGuardClusterProperties.class, ETagGuardProperties.class})
@Import(GuardSettingsConfiguration.class)
public final class ETagGuardClusterAutoConfiguration {

  /** Shared state asked for without what it needs fails the start (see {@link ClusterPrerequisites}). */
  @Bean
  static ClusterPrerequisites etagGuardClusterPrerequisites(Environment environment) {
    return new ClusterPrerequisites(environment);
  }

  /** Redis, through the application's RedissonClient or one made from the address. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({RedisCluster.class, RedissonClient.class})
  @Conditional(OnSharedStore.Redis.class)
  static final class RedisConfiguration {

    /** The client the options describe ({@link RedisCluster#client(GuardSettings)}): lazy, so the start never waits for Redis. */
    @Bean(destroyMethod = "shutdown")
    @ConditionalOnMissingBean
    RedissonClient etagGuardRedissonClient(GuardSettings guard) {
      return RedisCluster.client(guard);
    }

    @Bean
    @ConditionalOnMissingBean
    RedisCluster etagGuardRedisCluster(ObjectProvider<RedissonClient> redisson, GuardSettings guard) {
      return RedisCluster.builder(redisson.getObject()).options(guard).build();
    }

    @Bean
    @ConditionalOnMissingBean
    ValidatorStore etagGuardValidatorStore(RedisCluster cluster) {
      return cluster.store();
    }

    @Bean
    @ConditionalOnMissingBean
    WriteSequencer etagGuardWriteSequencer(RedisCluster cluster) {
      return cluster.sequencer();
    }
  }

  /** PostgreSQL, through the application's DataSource. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(PostgresCluster.class)
  @Conditional(OnSharedStore.Postgres.class)
  @ConditionalOnBean(DataSource.class)
  static final class PostgresConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PostgresCluster etagGuardPostgresCluster(DataSource dataSource, GuardSettings guard) {
      return PostgresCluster.builder(dataSource).options(guard).build();
    }

    @Bean
    @ConditionalOnMissingBean
    ValidatorStore etagGuardValidatorStore(PostgresCluster cluster) {
      return cluster.store();
    }

    @Bean
    @ConditionalOnMissingBean
    WriteSequencer etagGuardWriteSequencer(PostgresCluster cluster) {
      return cluster.sequencer();
    }
  }

  /** Whether the properties ask for a store: {@code etag-guard.shared-store}, or its {@code etag-guard.cluster.<store>.enabled}. */
  abstract static class OnSharedStore implements Condition {
    private final String store;

    OnSharedStore(String store) {
      this.store = store;
    }

    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return store.equals(ClusterPrerequisites.sharedStore(Binder.get(context.getEnvironment())));
    }

    static final class Redis extends OnSharedStore {
      Redis() {
        super("redis");
      }
    }

    static final class Postgres extends OnSharedStore {
      Postgres() {
        super("postgres");
      }
    }
  }
}
