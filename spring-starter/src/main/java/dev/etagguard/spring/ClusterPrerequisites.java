package dev.etagguard.spring;

import java.util.ArrayList;
import java.util.List;

import java.util.function.Predicate;

import javax.sql.DataSource;

import dev.etagguard.settings.GuardSettings;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Fails the start when shared state is asked for ({@code etag-guard.shared-store}, or
 * {@code etag-guard.cluster.*.enabled}) without
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
    List<String> missing = missing(binder, name -> ClassUtils.isPresent(name, beanFactory.getBeanClassLoader()),
        beanFactory.getBeanNamesForType(DataSource.class, true, false).length > 0);
    if (!missing.isEmpty()) {
      throw new IllegalStateException("ETag Guard cannot share its state between instances: "
          + String.join("; ", missing) + ". Without it every instance would guard alone.");
    }
  }

  private static boolean enabled(Binder binder, String store) {
    return binder.bind("etag-guard.cluster." + store + ".enabled", Boolean.class).orElse(false);
  }

  private static String flat(Binder binder) {
    return binder.bind("etag-guard.shared-store", String.class).map(String::strip).orElse("");
  }

  /**
   * The store the properties ask for: {@code etag-guard.shared-store}, else the store whose
   * {@code etag-guard.cluster.<store>.enabled} is true, else {@code none}.
   */
  static String sharedStore(Binder binder) {
    String flat = flat(binder);
    if (!flat.isEmpty() && !flat.equals(GuardSettings.NO_SHARED_STORE)) {
      return flat;
    }
    return enabled(binder, "redis") ? "redis" : enabled(binder, "postgres") ? "postgres" : GuardSettings.NO_SHARED_STORE;
  }

  /** What shared state, as configured in {@code binder}, lacks; empty when nothing. */
  static List<String> missing(Binder binder, Predicate<String> present, boolean dataSource) {
    String flat = flat(binder);
    boolean redisEnabled = enabled(binder, "redis");
    boolean postgresEnabled = enabled(binder, "postgres");
    List<String> missing = new ArrayList<>();
    if (!flat.isEmpty() && !flat.equals(GuardSettings.NO_SHARED_STORE)) {
      if (!flat.equals("redis") && !flat.equals("postgres")) {
        missing.add("Invalid value '" + flat + "' for ETag Guard option 'sharedStore' (etag-guard.shared-store): "
            + "expected none, redis or postgres");
        return missing;
      }
      if (redisEnabled && !flat.equals("redis") || postgresEnabled && !flat.equals("postgres")) {
        missing.add("etag-guard.shared-store=" + flat + " and etag-guard.cluster."
            + (flat.equals("redis") ? "postgres" : "redis") + ".enabled=true ask for two stores; ask for one");
      }
      missing.addAll(missing(flat.equals("redis"), flat.equals("postgres"), present, dataSource,
          "etag-guard.shared-store=" + flat));
    } else {
      missing.addAll(missing(redisEnabled, postgresEnabled, present, dataSource, null));
    }
    if (sharedStore(binder).equals("postgres")
        && !binder.bind("etag-guard.postgres-data-source", String.class).map(String::isBlank).orElse(true)) {
      missing.add("etag-guard.postgres-data-source is for web.xml, the valve and Jetty; Spring Boot uses the "
          + "application's DataSource (spring.datasource.jndi-name for one from JNDI)");
    }
    return missing;
  }

  /** What shared state, as configured, lacks; empty when nothing. {@code asked} is the property that asked, if flat. */
  static List<String> missing(boolean redis, boolean postgres, Predicate<String> present, boolean dataSource,
      @Nullable String asked) {
    List<String> missing = new ArrayList<>();
    if (redis && postgres) {
      missing.add("etag-guard.cluster.redis.enabled and etag-guard.cluster.postgres.enabled are both true; "
          + "enable one");
    }
    String redisAsked = asked != null ? asked : "etag-guard.cluster.redis.enabled=true";
    String postgresAsked = asked != null ? asked : "etag-guard.cluster.postgres.enabled=true";
    if (redis && !present.test("dev.etagguard.cluster.redis.RedisCluster")) {
      missing.add(redisAsked + " needs dev.etagguard:etag-guard-cluster-redis on the class path");
    } else if (redis && !present.test("org.redisson.api.RedissonClient")) {
      missing.add(redisAsked + " needs Redisson (org.redisson:redisson) on the class path");
    }
    if (postgres && !present.test("dev.etagguard.cluster.postgres.PostgresCluster")) {
      missing.add(postgresAsked + " needs dev.etagguard:etag-guard-cluster-postgres on the class path");
    }
    if (postgres && !dataSource) {
      missing.add(postgresAsked + " needs a DataSource bean (spring.datasource.url, or one of the application's)");
    }
    return missing;
  }
}
