package dev.etagguard.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.etagguard.Exchange;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.http.Validators;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ResourceKeyResolver;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.testing.ScriptedHost;
import dev.etagguard.support.Builtins;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Each condition of the auto-configuration, without a server. */
class ETagGuardAutoConfigurationTest {

  private static final String GUARDED = "etag-guard.guarded-paths=/articles/*";

  private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ETagGuardAutoConfiguration.class));

  @Test
  void onByDefaultInAServletWebApplication() {
    runner.run(context -> {
      assertThat(context).hasNotFailed()
          .hasSingleBean(GuardEngine.class)
          .hasSingleBean(ValidatorStore.class)
          .hasSingleBean(WriteSequencer.class)
          .hasSingleBean(ResourceKeyResolver.class)
          .hasSingleBean(EntityTagGenerator.class)
          .hasSingleBean(GuardListener.class)
          .hasSingleBean(ETagGuardProperties.class)
          .doesNotHaveBean(GuardInstrumentation.class);
      assertThat(context.getBean(GuardListener.class)).isInstanceOf(LoggingGuardListener.class);
      FilterRegistrationBean<?> registration = registration(context.getBean(ETagGuardAutoConfiguration.FILTER_NAME));
      assertThat(registration.getFilter()).isInstanceOf(ETagGuardFilter.class);
      assertThat(((ETagGuardFilter) registration.getFilter()).engine()).isSameAs(context.getBean(GuardEngine.class));
      assertThat(registration.getFilterName()).isEqualTo("etagGuardFilter");
      assertThat(registration.getUrlPatterns()).containsExactly("/*");
      assertThat(registration.determineDispatcherTypes()).containsExactlyInAnyOrder(DispatcherType.REQUEST,
          DispatcherType.ASYNC);
      assertThat(registration.isAsyncSupported()).isTrue();
      assertThat(registration.getOrder()).isEqualTo(ETagGuardProperties.DEFAULT_FILTER_ORDER);
      ETagGuardPropertiesTest.assertSameSettings(context.getBean(GuardEngine.class).settings(), GuardSettings.DEFAULTS);
    });
  }

  @Test
  void theDefaultOrderIsAfterSpringSecurity() {
    // A larger order runs later: Security authenticates and authorizes before ETag Guard answers 412 or 428.
    assertThat(ETagGuardProperties.DEFAULT_FILTER_ORDER).isGreaterThan(SecurityFilterProperties.DEFAULT_FILTER_ORDER);
  }

  @Test
  void propertiesConfigureTheEngineAndTheFilter() {
    runner.withPropertyValues("etag-guard.guarded-paths=/articles/*,/drafts/*", "etag-guard.guarded-methods[0]=PUT",
        "etag-guard.guarded-methods[1]=POST", "etag-guard.permit-timeout=750ms", "etag-guard.max-buffer-size=64KB",
        "etag-guard.validator-store-size=10", "etag-guard.filter-order=-50").run(context -> {
          GuardSettings settings = context.getBean(GuardEngine.class).settings();
          assertThat(settings.guardedPaths()).hasToString("[/articles/*, /drafts/*]");
          assertThat(settings.guardedMethods()).containsExactly("PUT", "POST");
          assertThat(settings.permitTimeout()).isEqualTo(Duration.ofMillis(750));
          assertThat(settings.maxBufferSize()).isEqualTo(64 * 1024);
          assertThat(settings.validatorStoreSize()).isEqualTo(10);
          assertThat(registration(context.getBean(ETagGuardAutoConfiguration.FILTER_NAME)).getOrder()).isEqualTo(-50);
        });
  }

  @Test
  void malformedValuesFailTheStartWithTheCoreMessage() {
    runner.withPropertyValues("etag-guard.missing-precondition-status=404").run(context -> {
      assertThat(context).hasFailed();
      String core = "Invalid value '404' for ETag Guard option 'missingPreconditionStatus': "
          + "missingPreconditionStatus must be 428 or 403: 404";
      Throwable t = context.getStartupFailure();
      while (t != null && !core.equals(t.getMessage())) {
        t = t.getCause();
      }
      assertThat(t).as("a cause with the core's message in %s", context.getStartupFailure()).isNotNull();
    });
  }

  @Test
  void offWhenDisabled() {
    runner.withPropertyValues("etag-guard.enabled=false").run(context -> assertThat(context).hasNotFailed()
        .doesNotHaveBean(GuardEngine.class)
        .doesNotHaveBean(ETagGuardAutoConfiguration.FILTER_NAME)
        .doesNotHaveBean(ETagGuardProperties.class));
  }

  @Test
  void offInANonWebApplication() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ETagGuardAutoConfiguration.class))
        .run(context -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(GuardEngine.class)
            .doesNotHaveBean(ETagGuardAutoConfiguration.FILTER_NAME));
  }

  @Test
  void userSpiBeansWin() {
    runner.withUserConfiguration(UserSpis.class).withPropertyValues(GUARDED).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(ValidatorStore.class).hasSingleBean(WriteSequencer.class)
          .hasSingleBean(ResourceKeyResolver.class).hasSingleBean(EntityTagGenerator.class)
          .hasSingleBean(GuardListener.class).doesNotHaveBean(LoggingGuardListener.class);
      GuardEngine engine = context.getBean(GuardEngine.class);
      UserSpis user = context.getBean(UserSpis.class);
      assertThat(engine.store()).isSameAs(context.getBean(ValidatorStore.class)).isSameAs(user.store);
      assertThat(engine.sequencer()).isSameAs(context.getBean(WriteSequencer.class));
      assertThat(engine.generator()).isSameAs(context.getBean(EntityTagGenerator.class));

      // The user's resolver names the key; the user's listener hears the 428.
      Exchange exchange = Exchange.admit(engine, FakeRequest.of("PUT", "/articles/12"));
      assertThat(exchange.key()).isEqualTo(new ResourceKey("user:/articles/12"));
      assertThat(new ScriptedHost("PUT", m -> ScriptedHost.Reply.of(204, null)).run(exchange).status()).isEqualTo(428);
      assertThat(user.decisions).containsExactly(GuardListener.Decision.PRECONDITION_REQUIRED);
    });
  }

  @Test
  void aUserEngineWinsAndDrivesTheFilter() {
    runner.withUserConfiguration(UserEngine.class).run(context -> {
      assertThat(context).hasSingleBean(GuardEngine.class);
      GuardEngine engine = context.getBean(GuardEngine.class);
      assertThat(engine.settings().maxWaitersPerKey()).isEqualTo(3);
      assertThat(((ETagGuardFilter) registration(context.getBean(ETagGuardAutoConfiguration.FILTER_NAME)).getFilter())
          .engine()).isSameAs(engine);
    });
  }

  @Test
  void aUserRegistrationNamedLikeOursWins() {
    runner.withUserConfiguration(UserRegistration.class).run(context -> {
      FilterRegistrationBean<?> registration = registration(context.getBean(ETagGuardAutoConfiguration.FILTER_NAME));
      assertThat(registration.getOrder()).isEqualTo(42);
    });
  }

  @Test
  void metricsWithAMeterRegistryAndUserListenersHearTheSameEvents() {
    runner.withUserConfiguration(Meters.class, UserListener.class).withPropertyValues(GUARDED).run(context -> {
      assertThat(context).hasSingleBean(GuardInstrumentation.class);
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.find(ETagGuardMetrics.REQUESTS).counters()).hasSize(GuardListener.Decision.values().length);
      GuardEngine engine = context.getBean(GuardEngine.class);
      Exchange.admit(engine, FakeRequest.of("PUT", "/articles/1"));
      assertThat(registry.get(ETagGuardMetrics.REQUESTS).tag("outcome", "precondition_required").counter().count())
          .isEqualTo(1.0);
      assertThat(context.getBean(UserListener.class).decisions).containsExactly(GuardListener.Decision.PRECONDITION_REQUIRED);
      assertThat(registry.get(ETagGuardMetrics.STORE_SIZE).gauge().value()).isZero();
      assertThat(registry.get(ETagGuardMetrics.PERMITS_HELD).gauge().value()).isZero();
      assertThat(registry.get(ETagGuardMetrics.STORE_HIT_RATIO).gauge().value()).isNaN();
    });
  }

  @Test
  void noMetricsWithoutMicrometer() {
    runner.withClassLoader(new FilteredClassLoader("io.micrometer")).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(GuardEngine.class).doesNotHaveBean(GuardInstrumentation.class);
      Exchange exchange = Exchange.admit(context.getBean(GuardEngine.class), FakeRequest.of("GET", "/x"));
      assertThat(exchange).isNotNull();
      assertThat(exchange.write()).isFalse();
    });
  }

  @Test
  void noMetricsWithoutAMeterRegistryBean() {
    runner.run(context -> assertThat(context).doesNotHaveBean(GuardInstrumentation.class));
  }

  private static FilterRegistrationBean<?> registration(Object bean) {
    assertThat(bean).isInstanceOf(FilterRegistrationBean.class);
    return (FilterRegistrationBean<?>) bean;
  }

  @Configuration(proxyBeanMethods = false)
  static class UserSpis {
    final ValidatorStore store = new MapStore();
    final List<GuardListener.Decision> decisions = new CopyOnWriteArrayList<>();

    @Bean
    ValidatorStore userStore() {
      return store;
    }

    @Bean
    WriteSequencer userSequencer() {
      return (key, maxWait) -> CompletableFuture.failedFuture(
          new WriteSequencer.PermitUnavailableException("never", true));
    }

    @Bean
    ResourceKeyResolver userResolver() {
      return request -> new ResourceKey("user:" + request.path());
    }

    @Bean
    EntityTagGenerator userGenerator() {
      return Builtins.sha256Generator();
    }

    @Bean
    GuardListener userListener() {
      return new GuardListener() {
        @Override
        public void onDecision(ResourceKey key, String method, Decision decision) {
          decisions.add(decision);
        }
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserEngine {
    @Bean
    GuardEngine userEngine() {
      return GuardEngine.create(GuardSettings.builder().maxWaitersPerKey(3).build());
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserRegistration {
    @Bean(ETagGuardAutoConfiguration.FILTER_NAME)
    FilterRegistrationBean<ETagGuardFilter> userRegistration(GuardEngine engine) {
      FilterRegistrationBean<ETagGuardFilter> registration = new FilterRegistrationBean<>(new ETagGuardFilter(engine));
      registration.setOrder(42);
      return registration;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Meters {
    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserListener implements GuardListener {
    final List<Decision> decisions = new CopyOnWriteArrayList<>();

    @Override
    public void onDecision(ResourceKey key, String method, Decision decision) {
      decisions.add(decision);
    }
  }

  /** A store in a map. */
  static final class MapStore implements ValidatorStore {
    private final java.util.Map<ResourceKey, Validators> map = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public @Nullable Validators get(ResourceKey key) {
      return map.get(key);
    }

    @Override
    public void put(ResourceKey key, Validators validators) {
      map.put(key, validators);
    }

    @Override
    public void invalidate(ResourceKey key) {
      map.remove(key);
    }
  }
}
