package dev.etagguard.spring;

import static org.assertj.core.api.Assertions.assertThat;

import javax.sql.DataSource;

import dev.etagguard.GuardEngine;
import dev.etagguard.cluster.postgres.PostgresCluster;
import dev.etagguard.cluster.redis.RedisCluster;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.postgresql.ds.PGSimpleDataSource;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The cluster properties wire the engine to a shared store and sequencer, without a server: the
 * schema is not created and the Redis clients connect lazily. (The modules' own tests run the
 * store and sequencer against real servers.)
 */
class ETagGuardClusterAutoConfigurationTest {

  private final WebApplicationContextRunner runner = new WebApplicationContextRunner().withConfiguration(
      AutoConfigurations.of(ETagGuardClusterAutoConfiguration.class, ETagGuardAutoConfiguration.class));

  @Configuration(proxyBeanMethods = false)
  static class WithDataSource {
    @Bean
    DataSource dataSource() {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setURL("jdbc:postgresql://127.0.0.1:1/none");
      return ds;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class WithRedisson {
    @Bean(destroyMethod = "shutdown")
    RedissonClient redisson() {
      Config config = new Config();
      config.setLazyInitialization(true);
      config.useSingleServer().setAddress("redis://127.0.0.1:1");
      return Redisson.create(config);
    }
  }

  @Test
  void offByDefaultWithBothModulesOnTheClassPath() {
    runner.withUserConfiguration(WithDataSource.class, WithRedisson.class).run(context -> {
      assertThat(context).hasNotFailed().doesNotHaveBean(PostgresCluster.class).doesNotHaveBean(RedisCluster.class);
      assertThat(context.getBean(GuardEngine.class).store().toString()).startsWith("CaffeineValidatorStore");
    });
  }

  @Test
  void postgresPropertiesConfigureTheSharedStoreAndSequencer() {
    runner.withUserConfiguration(WithDataSource.class).withPropertyValues("etag-guard.cluster.postgres.enabled=true",
        "etag-guard.cluster.postgres.table=app.guard_validators", "etag-guard.cluster.postgres.token-sequence=app.guard_token",
        "etag-guard.cluster.postgres.lease-time=5s", "etag-guard.cluster.postgres.renew-lease=false",
        "etag-guard.cluster.postgres.create-schema=false").run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(PostgresCluster.class);
          GuardEngine engine = context.getBean(GuardEngine.class);
          assertThat(engine.store()).isSameAs(context.getBean(PostgresCluster.class).store());
          assertThat(engine.sequencer()).isSameAs(context.getBean(PostgresCluster.class).sequencer());
          assertThat(engine.store()).hasToString("PostgresValidatorStore{table=app.guard_validators}");
          assertThat(engine.sequencer()).hasToString("PostgresWriteSequencer{table=app.guard_validators, "
              + "tokenSequence=app.guard_token, leaseTime=5000ms, renewLease=false}");
        });
  }

  @Test
  void postgresWithoutADataSourceFailsTheStartNamingIt() {
    runner.withPropertyValues("etag-guard.cluster.postgres.enabled=true").run(context -> assertThat(context)
        .hasFailed().getFailure().hasMessageContaining("etag-guard.cluster.postgres.enabled=true needs a "
            + "DataSource bean").hasMessageContaining("every instance would guard alone"));
  }

  @Test
  void redisWithoutItsModuleFailsTheStartNamingIt() {
    runner.withClassLoader(new FilteredClassLoader(RedisCluster.class))
        .withPropertyValues("etag-guard.cluster.redis.enabled=true").run(context -> assertThat(context).hasFailed()
            .getFailure().hasMessageContaining("needs dev.etagguard:etag-guard-cluster-redis on the class path"));
  }

  @Test
  void postgresWithoutItsModuleFailsTheStartNamingIt() {
    runner.withClassLoader(new FilteredClassLoader(PostgresCluster.class)).withUserConfiguration(WithDataSource.class)
        .withPropertyValues("etag-guard.cluster.postgres.enabled=true").run(context -> assertThat(context).hasFailed()
            .getFailure().hasMessageContaining("needs dev.etagguard:etag-guard-cluster-postgres on the class path"));
  }

  @Test
  void bothStoresEnabledFailTheStart() {
    runner.withUserConfiguration(WithDataSource.class, WithRedisson.class)
        .withPropertyValues("etag-guard.cluster.redis.enabled=true", "etag-guard.cluster.postgres.enabled=true")
        .run(context -> assertThat(context).hasFailed().getFailure().hasMessageContaining("both true"));
  }

  @Test
  void aMalformedTableNameStopsTheStartNamingTheOption() {
    runner.withUserConfiguration(WithDataSource.class).withPropertyValues("etag-guard.cluster.postgres.enabled=true",
        "etag-guard.cluster.postgres.table=guard; drop table x").run(context -> assertThat(context).hasFailed()
            .getFailure().rootCause().hasMessageContaining("table must be an SQL identifier"));
  }

  @Test
  void redisPropertiesConfigureTheSharedStoreAndSequencerOnTheApplicationsClient() {
    runner.withUserConfiguration(WithRedisson.class).withPropertyValues("etag-guard.cluster.redis.enabled=true",
        "etag-guard.cluster.redis.key-prefix=wiki:", "etag-guard.cluster.redis.lease-time=12s",
        "etag-guard.cluster.redis.entry-ttl=2h").run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(RedisCluster.class).hasSingleBean(RedissonClient.class);
          GuardEngine engine = context.getBean(GuardEngine.class);
          assertThat(engine.store()).isSameAs(context.getBean(RedisCluster.class).store());
          assertThat(engine.store()).hasToString("RedisValidatorStore{keyPrefix=wiki:, entryTtl=7200000ms}");
          assertThat(engine.sequencer()).hasToString("RedisWriteSequencer{keyPrefix=wiki:, leaseTime=12000ms, "
              + "renewLease=true}");
        });
  }

  @Test
  void redisMakesAClientFromTheAddressWhenTheApplicationHasNone() {
    runner.withPropertyValues("etag-guard.cluster.redis.enabled=true", "etag-guard.cluster.redis.address=redis://127.0.0.1:1")
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(RedissonClient.class).hasSingleBean(RedisCluster.class);
          assertThat(context.getBean(GuardEngine.class).store().toString()).startsWith("RedisValidatorStore");
        });
  }

  /** The options' own names, as on every other route: {@code etag-guard.shared-store} and the store's options. */
  @Test
  void theFlatOptionNamesConfigureTheSameStore() {
    runner.withUserConfiguration(WithRedisson.class).withPropertyValues("etag-guard.shared-store=redis",
        "etag-guard.redis-key-prefix=flat:", "etag-guard.lease-time=7s", "etag-guard.redis-entry-ttl=1h").run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(RedisCluster.class);
          GuardEngine engine = context.getBean(GuardEngine.class);
          assertThat(engine.store()).hasToString("RedisValidatorStore{keyPrefix=flat:, entryTtl=3600000ms}");
          assertThat(engine.sequencer()).hasToString("RedisWriteSequencer{keyPrefix=flat:, leaseTime=7000ms, "
              + "renewLease=true}");
        });
  }

  @Test
  void anUnknownSharedStoreFailsTheStartNamingTheOption() {
    runner.withPropertyValues("etag-guard.shared-store=memcached").run(context -> assertThat(context).hasFailed()
        .getFailure().hasMessageContaining("Invalid value 'memcached' for ETag Guard option 'sharedStore'"));
  }

  @Test
  void theFlatStoreWithoutItsModuleFailsTheStartNamingIt() {
    runner.withClassLoader(new FilteredClassLoader(RedisCluster.class))
        .withPropertyValues("etag-guard.shared-store=redis").run(context -> assertThat(context).hasFailed()
            .getFailure().hasMessageContaining("etag-guard.shared-store=redis needs "
                + "dev.etagguard:etag-guard-cluster-redis on the class path"));
  }
}
