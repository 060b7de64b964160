package dev.etagguard.spring;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Fails the start when shared state is asked for ({@code etag-guard.cluster.*.enabled}) without
 * what it needs: the cluster module on the class path, and for PostgreSQL a {@link DataSource};
 * or when both stores are enabled. Started anyway, every instance would guard alone, and the
 * promise that several instances lose no update would be gone without a word. Checked before any
 * bean is made, so no store is contacted first.
 */
final class ClusterPrerequisites implements BeanFactoryPostProcessor {

  private final Environment environment;

  ClusterPrerequisites(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
    Binder binder = Binder.get(environment);
    List<String> missing = missing(enabled(binder, "redis"), enabled(binder, "postgres"),
        name -> ClassUtils.isPresent(name, beanFactory.getBeanClassLoader()),
        beanFactory.getBeanNamesForType(DataSource.class, true, false).length > 0);
    if (!missing.isEmpty()) {
      throw new IllegalStateException("ETag Guard cannot share its state between instances: "
          + String.join("; ", missing) + ". Without it every instance would guard alone.");
    }
  }

  private static boolean enabled(Binder binder, String store) {
    return binder.bind("etag-guard.cluster." + store + ".enabled", Boolean.class).orElse(false);
  }

  /** What shared state, as configured, lacks; empty when nothing. */
  static List<String> missing(boolean redis, boolean postgres, java.util.function.Predicate<String> present,
      boolean dataSource) {
    List<String> missing = new ArrayList<>();
    if (redis && postgres) {
      missing.add("etag-guard.cluster.redis.enabled and etag-guard.cluster.postgres.enabled are both true; "
          + "enable one");
    }
    if (redis && !present.test("dev.etagguard.cluster.redis.RedisCluster")) {
      missing.add("etag-guard.cluster.redis.enabled=true needs dev.etagguard:etag-guard-cluster-redis on the "
          + "class path");
    } else if (redis && !present.test("org.redisson.api.RedissonClient")) {
      missing.add("etag-guard.cluster.redis.enabled=true needs Redisson (org.redisson:redisson) on the class path");
    }
    if (postgres && !present.test("dev.etagguard.cluster.postgres.PostgresCluster")) {
      missing.add("etag-guard.cluster.postgres.enabled=true needs dev.etagguard:etag-guard-cluster-postgres on "
          + "the class path");
    }
    if (postgres && !dataSource) {
      missing.add("etag-guard.cluster.postgres.enabled=true needs a DataSource bean (spring.datasource.url, "
          + "or one of the application's)");
    }
    return missing;
  }
}
