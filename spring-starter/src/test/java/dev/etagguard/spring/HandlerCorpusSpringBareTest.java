package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The Spring MVC handlers of {@link HandlerCorpusSpringTest} without the guard
 * ({@code etag-guard.enabled=false}): the evidence that its {@code KNOWN} cells are the guard's.
 * Each handler creates, replaces and serves its documents (a write with a precondition it ignores
 * included); none of them cuts a Range (their own gap, which the guard is to correct); the
 * {@code StreamingResponseBody} sets no ETag of its own.
 */
@SpringBootTest(classes = HandlerCorpusSpringTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", TestApps.NO_SECURITY, "etag-guard.enabled=false"})
class HandlerCorpusSpringBareTest {

  @LocalServerPort
  int port;

  @ParameterizedTest
  @EnumSource(value = HandlerCorpusSpringTest.Corpus.class, names = {"DEFERRED_RESULT", "CALLABLE",
      "COMPLETABLE_FUTURE", "STREAMING_RESPONSE_BODY"})
  void theHandlerServesAndStoresByItself(HandlerCorpusSpringTest.Corpus handler) throws Exception {
    URI doc = URI.create("http://127.0.0.1:" + port + handler.prefix + "bare-" + handler);
    assertThat(put(doc, "first", "If-None-Match", "*").statusCode()).as("create").isEqualTo(201);
    HttpResponse<byte[]> read = get(doc);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(text(read)).isEqualTo("first");
    String tag = header(read, "ETag");
    if (handler == HandlerCorpusSpringTest.Corpus.STREAMING_RESPONSE_BODY) {
      assertThat(tag).as("no ETag of its own").isNull();
    } else {
      assertThat(tag).as("its own ETag").isEqualTo("\"v1\"");
    }
    assertThat(put(doc, "second", "If-Match", tag == null ? "\"v1\"" : tag).statusCode()).as("replace")
        .isEqualTo(204);
    assertThat(text(get(doc))).isEqualTo("second");
    HttpResponse<byte[]> range = get(doc, "Range", "bytes=0-2");
    assertThat(range.statusCode()).as("the handler ignores Range").isEqualTo(200);
    assertThat(text(range)).isEqualTo("second");
  }
}
