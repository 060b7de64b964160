package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Spring's {@code ShallowEtagHeaderFilter} beside ETag Guard, over HTTP on Tomcat: one warning at
 * start, one ETag per response, and conditional requests still right. Subclasses arrange the two
 * filters.
 */
@ExtendWith(OutputCaptureExtension.class)
abstract class ShallowEtagScenario {

  static final String WARNING = "ETag Guard: Spring's ShallowEtagHeaderFilter is registered too.";

  @LocalServerPort
  int port;

  @Autowired
  Documents documents;

  /** What the winning tag looks like. */
  abstract Pattern tag();

  /** The winning tag of a body. */
  abstract String tagOf(String body);

  /** What the warning says about the arrangement. */
  abstract String arrangement();

  @Test
  void warnsOnceAtStart(CapturedOutput output) {
    assertThat(count(output.getAll(), WARNING)).isEqualTo(1);
    assertThat(output.getAll()).contains(arrangement());
  }

  @Test
  void oneETagAndCorrectConditionalAnswers() throws Exception {
    URI doc = uri("/docs/one");
    assertThat(put(doc, "first", "If-None-Match", "*").statusCode()).isEqualTo(201);
    HttpResponse<byte[]> read = get(doc);
    assertThat(read.headers().allValues("ETag")).as("no double tagging").hasSize(1);
    String etag = header(read, "ETag");
    assertThat(etag).matches(tag()).isEqualTo(tagOf("first"));

    HttpResponse<byte[]> notModified = get(doc, "If-None-Match", etag);
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    assertThat(notModified.headers().allValues("ETag")).containsExactly(etag);

    assertThat(put(doc, "second", "If-Match", etag).statusCode()).isEqualTo(204);
    HttpResponse<byte[]> stale = put(doc, "third", "If-Match", etag);
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(header(stale, "Content-Type")).startsWith("application/problem+json");
    assertThat(get(doc).headers().allValues("ETag")).containsExactly(tagOf("second"));
    assertThat(put(doc, "third").statusCode()).isEqualTo(428);
  }

  @Test
  void theInternalGetSeesTheTagsClientsSee() throws Exception {
    // Unknown to the guard: it learns the current tag with an internal GET, which must give the
    // tag a client's GET gives.
    documents.docs.put("cold", "seeded".getBytes(StandardCharsets.UTF_8));
    assertThat(put(uri("/docs/cold"), "updated", "If-Match", tagOf("seeded")).statusCode()).isEqualTo(204);
    assertThat(get(uri("/docs/cold")).headers().allValues("ETag")).containsExactly(tagOf("updated"));
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
