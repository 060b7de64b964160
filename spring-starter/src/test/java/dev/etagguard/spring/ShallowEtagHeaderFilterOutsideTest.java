package dev.etagguard.spring;

import java.util.regex.Pattern;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.filter.ShallowEtagHeaderFilter;

/** The shallow filter registered before ETag Guard: it keeps ETag Guard's tags. */
@SpringBootTest(classes = ShallowEtagHeaderFilterOutsideTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "etag-guard.guarded-paths=/docs/*", TestApps.NO_SECURITY})
class ShallowEtagHeaderFilterOutsideTest extends ShallowEtagScenario {

  @Override
  Pattern tag() {
    return Pattern.compile("\"[A-Za-z0-9_-]{32}\"");
  }

  @Override
  String tagOf(String body) {
    return TestApps.generatedTag(body);
  }

  @Override
  String arrangement() {
    return "'shallow' (order -50) runs before ETag Guard (order 0)";
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Documents.class)
  static class App {
    @Bean
    FilterRegistrationBean<ShallowEtagHeaderFilter> shallow() {
      FilterRegistrationBean<ShallowEtagHeaderFilter> registration =
          new FilterRegistrationBean<>(new ShallowEtagHeaderFilter());
      registration.setName("shallow");
      registration.setOrder(-50);
      return registration;
    }
  }
}
