package dev.etagguard.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import dev.etagguard.testing.HandlerRows;
import dev.etagguard.testing.Http;
import dev.etagguard.testing.LostUpdateDrill;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * The Spring MVC part of the handler corpus (issue 18), on Boot's Tomcat behind the starter: static
 * resources, a {@code ResponseEntity} controller with its own ETags, {@code DeferredResult},
 * {@code Callable}, {@code CompletableFuture}, {@code StreamingResponseBody} and {@code SseEmitter},
 * each with the corpus rows of {@link HandlerRows} and, where it writes, the lost-update drill.
 * Every row holds on every handler: the asynchronous ones are captured and tagged like the rest
 * (issue 18 #6, #7).
 */
@SpringBootTest(classes = HandlerCorpusSpringTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", TestApps.NO_SECURITY,
        "etag-guard.guarded-paths=/static/*,/entity/*,/deferred/*,/callable/*,/future/*,/stream/*,/sse/*",
        "spring.mvc.static-path-pattern=/static/**", "spring.web.resources.static-locations=classpath:/corpus-static/"})
class HandlerCorpusSpringTest {

  private static final byte[] BODY = "corpus document 0123456789".getBytes(StandardCharsets.US_ASCII);

  /** A Spring MVC handler of the corpus: its path prefix, and whether it stores PUT bodies. */
  enum Corpus {
    /** Spring's static resources ({@code ResourceHttpRequestHandler}), read-only. */
    STATIC_RESOURCES("/static/", false),
    /** {@code ResponseEntity<byte[]>} with the controller's own ETag ({@code "v<version>"}). */
    RESPONSE_ENTITY("/entity/", true),
    /** {@code DeferredResult<ResponseEntity<byte[]>>}, completed on another thread. */
    DEFERRED_RESULT("/deferred/", true),
    /** {@code Callable<ResponseEntity<byte[]>>}. */
    CALLABLE("/callable/", true),
    /** {@code CompletableFuture<ResponseEntity<byte[]>>}. */
    COMPLETABLE_FUTURE("/future/", true),
    /** {@code StreamingResponseBody}. */
    STREAMING_RESPONSE_BODY("/stream/", true);

    final String prefix;
    final boolean writable;

    Corpus(String prefix, boolean writable) {
      this.prefix = prefix;
      this.writable = writable;
    }
  }

  @LocalServerPort
  int port;

  @ParameterizedTest
  @EnumSource(Corpus.class)
  void theRowsHold(Corpus handler) throws Exception {
    URI doc = uri(handler.prefix + "doc.txt");
    if (handler != Corpus.STATIC_RESOURCES) {
      Store.DOCS.put("doc.txt", new Store.Doc(1, BODY));
    }
    Map<String, String> failures = new LinkedHashMap<>(HandlerRows.reads(doc, BODY));
    failures.putAll(HandlerRows.writes(doc, BODY, handler.writable));
    if (handler.writable) {
      try {
        LostUpdateDrill.run(uri(handler.prefix + "counter-" + handler), 4, 5);
      } catch (AssertionError | Exception e) {
        failures.put("lost-update-drill", HandlerRows.shortened(e.getMessage()));
      }
    }
    failures.forEach((row, detail) -> System.out.println("[corpus] " + handler + " " + row + ": " + detail));
    assertThat(failures).as("failing rows of %s", handler).isEmpty();
  }

  /**
   * An event stream is not a representation to validate: it goes out as the emitter writes it,
   * without an ETag, and a write to a guarded path still needs its precondition.
   */
  @Test
  void anEventStreamPassesThroughUntagged() throws Exception {
    HttpResponse<byte[]> events = Http.get(uri("/sse/doc.txt"));
    assertThat(events.statusCode()).isEqualTo(200);
    assertThat(Http.header(events, "Content-Type")).startsWith("text/event-stream");
    assertThat(Http.text(events)).isEqualTo("data:one\n\ndata:two\n\n");
    assertThat(Http.header(events, "ETag")).isNull();
    assertThat(Http.put(uri("/sse/doc.txt"), "x").statusCode()).isEqualTo(428);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** The controllers' documents: a version (the ETag {@code "v<version>"}) and bytes. */
  static final class Store {
    record Doc(long version, byte[] body) {
      String tag() {
        return "\"v" + version + "\"";
      }
    }

    static final Map<String, Doc> DOCS = new ConcurrentHashMap<>();

    private Store() {
    }

    static ResponseEntity<byte[]> read(String name) {
      Doc doc = DOCS.get(name);
      return doc == null ? ResponseEntity.notFound().build()
          : ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).eTag(doc.tag()).body(doc.body());
    }

    /** A write that knows nothing of preconditions: the guard checks them. */
    static ResponseEntity<Void> write(String name, byte[] body) {
      Doc[] before = new Doc[1];
      DOCS.compute(name, (k, doc) -> {
        before[0] = doc;
        return new Doc(doc == null ? 1 : doc.version() + 1, body == null ? new byte[0] : body);
      });
      return ResponseEntity.status(before[0] == null ? 201 : 204).build();
    }

    static ResponseEntity<Void> delete(String name) {
      return DOCS.remove(name) != null ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }
  }

  @RestController
  static class Controllers {

    @GetMapping("/entity/{name}")
    ResponseEntity<byte[]> entity(@PathVariable String name) {
      return Store.read(name);
    }

    @PutMapping("/entity/{name}")
    ResponseEntity<Void> putEntity(@PathVariable String name, @RequestBody(required = false) byte[] body) {
      return Store.write(name, body);
    }

    @DeleteMapping("/entity/{name}")
    ResponseEntity<Void> deleteEntity(@PathVariable String name) {
      return Store.delete(name);
    }

    @GetMapping("/deferred/{name}")
    DeferredResult<ResponseEntity<byte[]>> deferred(@PathVariable String name) {
      DeferredResult<ResponseEntity<byte[]>> result = new DeferredResult<>(10_000L);
      CompletableFuture.runAsync(() -> result.setResult(Store.read(name)));
      return result;
    }

    @PutMapping("/deferred/{name}")
    DeferredResult<ResponseEntity<Void>> putDeferred(@PathVariable String name,
        @RequestBody(required = false) byte[] body) {
      DeferredResult<ResponseEntity<Void>> result = new DeferredResult<>(10_000L);
      CompletableFuture.runAsync(() -> result.setResult(Store.write(name, body)));
      return result;
    }

    @DeleteMapping("/deferred/{name}")
    DeferredResult<ResponseEntity<Void>> deleteDeferred(@PathVariable String name) {
      DeferredResult<ResponseEntity<Void>> result = new DeferredResult<>(10_000L);
      CompletableFuture.runAsync(() -> result.setResult(Store.delete(name)));
      return result;
    }

    @GetMapping("/callable/{name}")
    Callable<ResponseEntity<byte[]>> callable(@PathVariable String name) {
      return () -> Store.read(name);
    }

    @PutMapping("/callable/{name}")
    Callable<ResponseEntity<Void>> putCallable(@PathVariable String name, @RequestBody(required = false) byte[] body) {
      return () -> Store.write(name, body);
    }

    @DeleteMapping("/callable/{name}")
    Callable<ResponseEntity<Void>> deleteCallable(@PathVariable String name) {
      return () -> Store.delete(name);
    }

    @GetMapping("/future/{name}")
    CompletableFuture<ResponseEntity<byte[]>> future(@PathVariable String name) {
      return CompletableFuture.supplyAsync(() -> Store.read(name));
    }

    @PutMapping("/future/{name}")
    CompletableFuture<ResponseEntity<Void>> putFuture(@PathVariable String name,
        @RequestBody(required = false) byte[] body) {
      return CompletableFuture.supplyAsync(() -> Store.write(name, body));
    }

    @DeleteMapping("/future/{name}")
    CompletableFuture<ResponseEntity<Void>> deleteFuture(@PathVariable String name) {
      return CompletableFuture.supplyAsync(() -> Store.delete(name));
    }

    @GetMapping("/stream/{name}")
    ResponseEntity<StreamingResponseBody> stream(@PathVariable String name) {
      Store.Doc doc = Store.DOCS.get(name);
      if (doc == null) {
        return ResponseEntity.notFound().build();
      }
      byte[] body = doc.body();
      return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(out -> {
        out.write(body, 0, body.length / 2);
        out.flush();
        out.write(body, body.length / 2, body.length - body.length / 2);
      });
    }

    @PutMapping("/stream/{name}")
    ResponseEntity<Void> putStream(@PathVariable String name, @RequestBody(required = false) byte[] body) {
      return Store.write(name, body);
    }

    @DeleteMapping("/stream/{name}")
    ResponseEntity<Void> deleteStream(@PathVariable String name) {
      return Store.delete(name);
    }

    @GetMapping("/sse/{name}")
    SseEmitter sse(@PathVariable String name) {
      SseEmitter emitter = new SseEmitter(10_000L);
      CompletableFuture.runAsync(() -> {
        try {
          emitter.send(SseEmitter.event().data("one"));
          emitter.send(SseEmitter.event().data("two"));
          emitter.complete();
        } catch (java.io.IOException e) {
          emitter.completeWithError(e);
        }
      });
      return emitter;
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Controllers.class)
  static class App {
  }
}
