package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.head;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
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
 * A Spring MVC controller that sets its own ETag ({@code ResponseEntity.ok().eTag(...)}) keeps it:
 * ETag Guard stores and checks the controller's tag and adds none of its own.
 */
@SpringBootTest(classes = HandlerETagTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "etag-guard.guarded-paths=/tagged/*", TestApps.NO_SECURITY})
class HandlerETagTest {

  @LocalServerPort
  int port;

  @Autowired
  Documents documents;

  @Test
  void theControllersETagIsKeptAndChecked() throws Exception {
    URI a = uri("/tagged/a");
    assertThat(put(a, "first", "If-None-Match", "*").statusCode()).isEqualTo(201);
    HttpResponse<byte[]> read = get(a);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.headers().allValues("ETag")).containsExactly("\"v1\"");
    assertThat(head(a).headers().allValues("ETag")).containsExactly("\"v1\"");

    HttpResponse<byte[]> notModified = get(a, "If-None-Match", "\"v1\"");
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    assertThat(header(notModified, "ETag")).isEqualTo("\"v1\"");

    HttpResponse<byte[]> stale = put(a, "second", "If-Match", "\"v0\"");
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(header(stale, "Content-Type")).startsWith("application/problem+json");
    assertThat(header(stale, "ETag")).isEqualTo("\"v1\"");

    assertThat(put(a, "second", "If-Match", "\"v1\"").statusCode()).isEqualTo(204);
    assertThat(get(a).headers().allValues("ETag")).containsExactly("\"v2\"");
    assertThat(put(a, "third").statusCode()).isEqualTo(428);
  }

  @Test
  void aTagTheGuardHasNeverSeenIsLearnedThroughTheDispatcherServlet() throws Exception {
    documents.tagged.put("cold", "seeded".getBytes(StandardCharsets.UTF_8));
    documents.versions.put("cold", 7);
    assertThat(put(uri("/tagged/cold"), "updated", "If-Match", "\"v6\"").statusCode()).isEqualTo(412);
    assertThat(put(uri("/tagged/cold"), "updated", "If-Match", "\"v7\"").statusCode()).isEqualTo(204);
    assertThat(get(uri("/tagged/cold")).headers().allValues("ETag")).containsExactly("\"v8\"");
  }

  @Test
  void responsesWithoutATagGetTheGuards() throws Exception {
    URI doc = uri("/docs/plain");
    assertThat(put(doc, "plain body").statusCode()).isEqualTo(201);
    HttpResponse<byte[]> read = get(doc);
    assertThat(read.headers().allValues("ETag")).containsExactly(TestApps.generatedTag("plain body"));
    assertThat(read.headers().firstValue("Last-Modified")).as("the guard's date").isPresent();
    assertThat(read.headers().allValues("Cache-Control")).as("no heuristic freshness from the guard's date")
        .containsExactly("no-cache");
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
