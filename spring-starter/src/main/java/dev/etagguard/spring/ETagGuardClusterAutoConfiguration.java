package dev.etagguard.spring;

import javax.sql.DataSource;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.cluster.postgres.PostgresCluster;
import dev.etagguard.cluster.redis.RedisCluster;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.springframework.beans.factory.ObjectProvider;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/**
 * ETag Guard's state shared by several instances: with {@code etag-guard.cluster.redis.enabled}
 * (and {@code etag-guard-cluster-redis} on the class path) or
 * {@code etag-guard.cluster.postgres.enabled} (and {@code etag-guard-cluster-postgres}, and a
 * {@link DataSource} bean), the {@link ValidatorStore} and {@link WriteSequencer} beans that
 * {@link ETagGuardAutoConfiguration} hands to the engine are the cluster's. Runs before it, so its
 * in-process defaults back off; beans of the application's own still win. Either enabled without
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
  @ConditionalOnBooleanProperty(name = "etag-guard.cluster.redis.enabled")
  static final class RedisConfiguration {

    @Bean(destroyMethod = "shutdown")
    @ConditionalOnMissingBean
    RedissonClient etagGuardRedissonClient(ETagGuardClusterProperties properties) {
      ETagGuardClusterProperties.Redis redis = properties.getRedis();
      Config config = new Config();
      config.setLazyInitialization(true); // the application starts while Redis is down; writes get 503
      config.useSingleServer().setAddress(redis.getAddress()).setTimeout((int) redis.getTimeout().toMillis())
          .setRetryAttempts(1);
      if (redis.getUsername() != null) {
        config.setUsername(redis.getUsername());
      }
      if (redis.getPassword() != null) {
        config.setPassword(redis.getPassword());
      }
      return Redisson.create(config);
    }

    @Bean
    @ConditionalOnMissingBean
    RedisCluster etagGuardRedisCluster(ObjectProvider<RedissonClient> redisson, ETagGuardClusterProperties properties,
        GuardSettings guard) {
      ETagGuardClusterProperties.Redis redis = properties.getRedis();
      return RedisCluster.builder(redisson.getObject()).keyPrefix(redis.getKeyPrefix())
          .leaseTime(redis.getLeaseTime()).renewLease(redis.isRenewLease()).entryTtl(redis.getEntryTtl())
          .maxWaitersPerKey(guard.maxWaitersPerKey()).build();
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
  @ConditionalOnBooleanProperty(name = "etag-guard.cluster.postgres.enabled")
  @ConditionalOnBean(DataSource.class)
  static final class PostgresConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PostgresCluster etagGuardPostgresCluster(DataSource dataSource, ETagGuardClusterProperties properties,
        GuardSettings guard) {
      ETagGuardClusterProperties.Postgres postgres = properties.getPostgres();
      return PostgresCluster.builder(dataSource).table(postgres.getTable()).tokenSequence(postgres.getTokenSequence())
          .leaseTime(postgres.getLeaseTime()).renewLease(postgres.isRenewLease())
          .createSchema(postgres.isCreateSchema()).maxWaitersPerKey(guard.maxWaitersPerKey()).build();
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
}
