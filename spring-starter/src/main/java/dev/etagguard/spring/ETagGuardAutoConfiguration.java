package dev.etagguard.spring;

import java.util.ArrayList;
import java.util.List;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKeyResolver;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.support.Builtins;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of ETag Guard for servlet web applications: an {@link ETagGuardFilter} for
 * every path, REQUEST and ASYNC dispatches, at order {@code etag-guard.filter-order} (default
 * {@value ETagGuardProperties#DEFAULT_FILTER_ORDER}: after Spring Security's filter chain at
 * -100, so authentication and authorization come first and ETag Guard's internal GETs run as the
 * same user), configured by {@link ETagGuardProperties}: the {@code etag-guard.*} properties bound
 * once into a {@link GuardSettings} bean, which a bean of the application's own replaces. On when
 * the starter is on the class path; {@code etag-guard.enabled=false} switches it off.
 *
 * <p>Each SPI ({@link ValidatorStore}, {@link WriteSequencer}, {@link ResourceKeyResolver},
 * {@link EntityTagGenerator}, {@link GuardListener}) and the {@link GuardEngine} itself is a bean
 * that a bean of the same type replaces. Every {@link GuardListener} bean hears the engine's
 * decisions, together with the Micrometer meters ({@code etag.guard.*}) registered when the
 * application has a {@link MeterRegistry}.
 *
 * <p>If Spring's {@code ShallowEtagHeaderFilter} is registered too, one warning at start says how
 * the two combine (see {@link ShallowEtagHeaderFilterCheck}).
 *
 * @since 0.1
 */
@AutoConfiguration(afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(ETagGuardFilter.class)
@ConditionalOnBooleanProperty(name = "etag-guard.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ETagGuardProperties.class)
@Import(GuardSettingsConfiguration.class)
public final class ETagGuardAutoConfiguration {

  /** The name of the filter in the servlet context, and of its registration bean. */
  public static final String FILTER_NAME = "etagGuardFilter";

  @Bean
  @ConditionalOnMissingBean
  ValidatorStore etagGuardValidatorStore(GuardSettings settings) {
    return Builtins.caffeineStore(settings.validatorStoreSize());
  }

  @Bean
  @ConditionalOnMissingBean
  WriteSequencer etagGuardWriteSequencer(GuardSettings settings) {
    return Builtins.localSequencer(settings.maxWaitersPerKey());
  }

  @Bean
  @ConditionalOnMissingBean
  ResourceKeyResolver etagGuardResourceKeyResolver(GuardSettings settings) {
    return Builtins.pathResolver(settings.keyQueryParameters());
  }

  @Bean
  @ConditionalOnMissingBean
  EntityTagGenerator etagGuardEntityTagGenerator() {
    return Builtins.sha256Generator();
  }

  @Bean
  @ConditionalOnMissingBean
  GuardListener etagGuardListener() {
    return new LoggingGuardListener();
  }

  @Bean
  @ConditionalOnMissingBean
  GuardEngine etagGuardEngine(GuardSettings settings, ValidatorStore store, WriteSequencer sequencer,
      ResourceKeyResolver resolver, EntityTagGenerator generator, ObjectProvider<GuardListener> listeners,
      ObjectProvider<GuardInstrumentation> instrumentation) {
    List<GuardListener> all = new ArrayList<>(listeners.orderedStream().toList());
    ValidatorStore instrumentedStore = store;
    GuardInstrumentation meters = instrumentation.getIfAvailable();
    if (meters != null) {
      all.add(meters.listener());
      instrumentedStore = meters.instrument(store);
    }
    GuardEngine engine = GuardEngine.builder(settings)
        .store(instrumentedStore)
        .sequencer(sequencer)
        .resolver(resolver)
        .generator(generator)
        .listener(CompositeGuardListener.of(all))
        .build();
    if (meters != null) {
      meters.bind(engine);
    }
    return engine;
  }

  /** Whether the application's filters let a request wait for its permit without a thread. */
  @Bean
  static AsyncDispatchCheck etagGuardAsyncDispatchCheck(ListableBeanFactory beanFactory) {
    return new AsyncDispatchCheck(beanFactory);
  }

  @Bean
  @ConditionalOnMissingBean(name = FILTER_NAME)
  FilterRegistrationBean<ETagGuardFilter> etagGuardFilter(GuardEngine engine, ETagGuardProperties properties,
      AsyncDispatchCheck asyncDispatchCheck) {
    FilterRegistrationBean<ETagGuardFilter> registration =
        new FilterRegistrationBean<>(new ETagGuardFilter(engine, asyncDispatchCheck));
    registration.setName(FILTER_NAME);
    registration.addUrlPatterns("/*");
    registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
    registration.setAsyncSupported(true);
    registration.setOrder(properties.getFilterOrder());
    return registration;
  }

  /** Micrometer meters, when the application has a {@link MeterRegistry}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  @ConditionalOnBean(MeterRegistry.class)
  static final class MetricsConfiguration {

    @Bean
    @ConditionalOnMissingBean
    GuardInstrumentation etagGuardMetrics(MeterRegistry registry) {
      return new ETagGuardMetrics(registry);
    }
  }

  /** The warning about Spring's {@code ShallowEtagHeaderFilter}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = ShallowEtagHeaderFilterCheck.SHALLOW_FILTER)
  static final class ShallowEtagHeaderFilterConfiguration {

    @Bean
    static ShallowEtagHeaderFilterCheck etagGuardShallowEtagHeaderFilterCheck(ListableBeanFactory beanFactory) {
      return new ShallowEtagHeaderFilterCheck(beanFactory);
    }
  }
}
