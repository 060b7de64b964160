package dev.etagguard.spring;

import dev.etagguard.settings.GuardSettings;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The {@link GuardSettings} bean: the {@code etag-guard.*} properties bound once
 * ({@link ETagGuardProperties#bindSettings(Binder)}), for the engine, the SPI beans and the
 * cluster's. Imported by both auto-configurations; a {@code GuardSettings} bean of the
 * application's own replaces it.
 */
@Configuration(proxyBeanMethods = false)
final class GuardSettingsConfiguration {

  @Bean
  @ConditionalOnMissingBean
  GuardSettings etagGuardSettings(Environment environment) {
    return ETagGuardProperties.bindSettings(Binder.get(environment));
  }
}
