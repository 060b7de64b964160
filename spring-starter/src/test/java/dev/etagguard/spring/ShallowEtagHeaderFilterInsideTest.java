package dev.etagguard.spring;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.util.DigestUtils;
import org.springframework.web.filter.ShallowEtagHeaderFilter;

/**
 * The shallow filter as a plain bean: lowest precedence, so it runs inside ETag Guard, mapped for
 * every dispatcher type; its MD5 tags are the handler's tags for ETag Guard.
 */
@SpringBootTest(classes = ShallowEtagHeaderFilterInsideTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "etag-guard.guarded-paths=/docs/*", TestApps.NO_SECURITY})
class ShallowEtagHeaderFilterInsideTest extends ShallowEtagScenario {

  @Override
  Pattern tag() {
    return Pattern.compile("\"0[0-9a-f]{32}\"");
  }

  @Override
  String tagOf(String body) {
    return "\"0" + DigestUtils.md5DigestAsHex(body.getBytes(StandardCharsets.UTF_8)) + "\"";
  }

  @Override
  String arrangement() {
    return "'shallowEtagHeaderFilter' (order 2147483647) runs after ETag Guard (order 0)";
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Documents.class)
  static class App {
    @Bean
    ShallowEtagHeaderFilter shallowEtagHeaderFilter() {
      return new ShallowEtagHeaderFilter();
    }
  }
}
