package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

/**
 * An instance started while its Redis is unreachable starts (the client connects lazily), serves
 * reads, and refuses guarded writes with 503 and a problem body: it never guards alone, and
 * nothing is written (issue 19: store unreachable at start).
 */
@SpringBootTest(classes = RedisDownAtStartTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", TestApps.NO_SECURITY, "etag-guard.guarded-paths=/docs/*",
        "etag-guard.cluster.redis.enabled=true", "etag-guard.cluster.redis.address=redis://127.0.0.1:1",
        "etag-guard.permit-timeout=2s"})
class RedisDownAtStartTest {

  @LocalServerPort
  int port;

  @Autowired
  Documents documents;

  @Test
  void writesAre503AndNothingIsWrittenReadsGoOn() throws Exception {
    documents.docs.put("a", "stored".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> read = get(uri("/docs/a"));
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(text(read)).isEqualTo("stored");
    for (String[] precondition : new String[][] {{"If-None-Match", "*"}, {"If-Match", "*"}}) {
      HttpResponse<byte[]> write = put(uri(precondition[0].equals("If-Match") ? "/docs/a" : "/docs/b"), "new",
          precondition);
      assertThat(write.statusCode()).as("%s: %s", precondition[0], text(write)).isEqualTo(503);
      assertThat(write.headers().firstValue("Content-Type")).contains("application/problem+json");
    }
    assertThat(new String(documents.docs.get("a"), StandardCharsets.UTF_8)).isEqualTo("stored");
    assertThat(documents.docs).doesNotContainKey("b");
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Documents.class)
  static class App {
  }
}
