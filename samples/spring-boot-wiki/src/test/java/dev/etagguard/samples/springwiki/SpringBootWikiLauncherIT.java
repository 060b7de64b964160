package dev.etagguard.samples.springwiki;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;

import dev.etagguard.testing.Http;
import dev.etagguard.testing.JarProcess;

import org.junit.jupiter.api.Test;

/**
 * {@code java -jar target/etag-guard-spring-boot-wiki.jar --server.port=0} as a subprocess (needs the
 * repackaged jar: run by failsafe): it prints the samples' ready line, binds to 127.0.0.1 and
 * guards {@code /articles/*}.
 */
class SpringBootWikiLauncherIT {

  @Test
  void printsTheListeningLineAndServesGuarded() throws Exception {
    try (JarProcess wiki = JarProcess.start("spring-boot-wiki", "--server.port=0")) {
      int p = wiki.readyPort();
      URI article = URI.create("http://127.0.0.1:" + p + "/articles/1");
      assertThat(Http.get(URI.create("http://127.0.0.1:" + p + "/articles")).statusCode()).isEqualTo(200);
      assertThat(Http.put(article, "{\"title\":\"Eve\"}").statusCode()).isEqualTo(428);
      assertThat(Http.put(article, "{\"title\":\"Hello\"}", "If-None-Match", "*").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> read = Http.get(article);
      assertThat(Http.header(read, "ETag")).isNotNull();
      assertThat(Http.get(URI.create("http://127.0.0.1:" + p + "/actuator/metrics/etag.guard.requests")).statusCode())
          .isEqualTo(200);
    }
  }
}
