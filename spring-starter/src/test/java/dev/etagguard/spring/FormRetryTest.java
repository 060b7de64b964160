package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Option {@code retryRecognition} behind Spring's {@code FormContentFilter}, which Boot registers
 * ahead of the guard and which reads a PUT form's content before any later filter: the guard
 * never sees that content, so no such write is taken for a retry, and a second tab's stale write
 * with another title gets 412 instead of a 204 that applies nothing.
 */
@SpringBootTest(classes = FormRetryTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "etag-guard.guarded-paths=/forms/*", "etag-guard.retry-recognition=true",
        TestApps.NO_SECURITY})
class FormRetryTest {

  private static final String FORM = "application/x-www-form-urlencoded";

  @LocalServerPort
  int port;

  @Autowired
  Forms forms;

  @Test
  void aStaleFormWriteIsRefusedNotAnsweredAsARetry() throws Exception {
    URI doc = URI.create("http://127.0.0.1:" + port + "/forms/12");
    assertThat(put(doc, "title=untitled", "If-None-Match", "*", "Content-Type", FORM).statusCode()).isEqualTo(201);
    String t = header(get(doc), "ETag");
    assertThat(put(doc, "title=Bob", "If-Match", t, "Content-Type", FORM).statusCode()).isEqualTo(204);
    int writes = forms.writes.get();
    assertThat(put(doc, "title=Mary", "If-Match", t, "Content-Type", FORM).statusCode())
        .as("the second tab's stale write").isEqualTo(412);
    assertThat(text(get(doc))).isEqualTo("Bob");
    assertThat(put(doc, "title=Bob", "If-Match", t, "Content-Type", FORM).statusCode())
        .as("even the identical write: the guard never saw its content").isEqualTo(412);
    assertThat(forms.writes.get()).isEqualTo(writes);
  }

  /** Stores a form's title. */
  @RestController
  static class Forms {
    final Map<String, String> titles = new ConcurrentHashMap<>();
    final AtomicInteger writes = new AtomicInteger();

    @GetMapping("/forms/{id}")
    ResponseEntity<byte[]> get(@PathVariable String id) {
      String title = titles.get(id);
      return title == null ? ResponseEntity.notFound().build()
          : ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(title.getBytes(StandardCharsets.UTF_8));
    }

    @PutMapping(path = "/forms/{id}", consumes = FORM)
    ResponseEntity<Void> put(@PathVariable String id, @RequestParam String title) {
      writes.incrementAndGet();
      return ResponseEntity.status(titles.put(id, title) == null ? 201 : 204).build();
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Forms.class)
  static class App {
  }
}
