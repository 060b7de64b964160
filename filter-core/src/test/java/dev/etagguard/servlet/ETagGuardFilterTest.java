package dev.etagguard.servlet;

import static dev.etagguard.testing.Http.delete;
import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.head;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.etagguard.testing.Permits;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.SlowContentScenarios;
import dev.etagguard.support.Builtins;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The filter in front of a plain servlet, on real Tomcat and Jetty servers over real sockets. */
class ETagGuardFilterTest {

  private EmbeddedServer server;
  private ResourceServlet servlet;
  private GuardEngine engine;

  private void start(EmbeddedServer.Kind kind) throws Exception {
    start(kind, GuardSettings.builder().guardedPaths("/guarded/*").maxBufferSize(64 * 1024).build());
  }

  private void start(EmbeddedServer.Kind kind, GuardSettings settings) throws Exception {
    servlet = new ResourceServlet();
    engine = GuardEngine.create(settings);
    server = kind.start(servlet, new ETagGuardFilter(engine));
  }

  @AfterEach
  void stop() throws Exception {
    if (engine != null) {
      // The client may see a response before the server thread has left the filter.
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).as("permits held after the test").isZero();
      assertThat(engine.sequencer().activeKeys()).as("sequencer keys left").isZero();
    }
    if (server != null) {
      server.close();
    }
  }

  private static EntityTag tagOf(byte[] body) {
    EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
    d.update(body, 0, body.length);
    return d.finish();
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void getCarriesGeneratedStrongETagAndLastModified(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/a", "hello".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> r = get(server.uri("/a"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("hello");
    assertThat(header(r, "ETag")).isEqualTo(tagOf("hello".getBytes(StandardCharsets.UTF_8)).toString())
        .doesNotStartWith("W/");
    assertThat(header(r, "Last-Modified")).isNotNull();
    assertThat(header(r, "Content-Length")).isEqualTo("5");
    HttpResponse<byte[]> again = get(server.uri("/a"));
    assertThat(header(again, "ETag")).isEqualTo(header(r, "ETag"));
    assertThat(header(again, "Last-Modified")).isEqualTo(header(r, "Last-Modified"));
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void matchingIfNoneMatchAnswers304WithValidatorsAndNoBody(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/a", "hello".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> first = get(server.uri("/a"));
    String etag = header(first, "ETag");
    HttpResponse<byte[]> r = get(server.uri("/a"), "If-None-Match", etag);
    assertThat(r.statusCode()).isEqualTo(304);
    assertThat(header(r, "ETag")).isEqualTo(etag);
    assertThat(header(r, "Last-Modified")).isEqualTo(header(first, "Last-Modified"));
    assertThat(r.body()).isEmpty();
    HttpResponse<byte[]> byDate = get(server.uri("/a"), "If-Modified-Since", header(first, "Last-Modified"));
    assertThat(byDate.statusCode()).isEqualTo(304);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void headHasTheValidatorsAndLengthOfGetWithoutBody(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/a", "hello world".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> g = get(server.uri("/a"));
    HttpResponse<byte[]> h = head(server.uri("/a"));
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(header(h, "ETag")).isEqualTo(header(g, "ETag"));
    assertThat(header(h, "Content-Length")).isEqualTo("11");
    assertThat(h.body()).isEmpty();
    assertThat(head(server.uri("/a"), "If-None-Match", header(g, "ETag")).statusCode()).isEqualTo(304);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void handlersOwnETagIsKept(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/a", "hello".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> r = get(server.uri("/a?etag=%22v7%22"));
    assertThat(r.headers().allValues("ETag")).containsExactly("\"v7\"");
    assertThat(get(server.uri("/a?etag=%22v7%22"), "If-None-Match", "\"v7\"").statusCode()).isEqualTo(304);
    assertThat(get(server.uri("/a?etag=W/%22v7%22"), "If-None-Match", "\"v7\"").statusCode()).isEqualTo(304);
    assertThat(get(server.uri("/a?etag=W/%22v7%22"), "If-Match", "W/\"v7\"").statusCode()).isEqualTo(412);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void errorsRedirectsAndNoStoreGetNoGeneratedETag(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/a", "hello".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> error = get(server.uri("/a?error=403"));
    assertThat(error.statusCode()).isEqualTo(403);
    assertThat(header(error, "ETag")).isNull();
    HttpResponse<byte[]> redirect = get(server.uri("/a?redirect"));
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(header(redirect, "ETag")).isNull();
    HttpResponse<byte[]> noStore = get(server.uri("/a?nostore"));
    assertThat(noStore.statusCode()).isEqualTo(200);
    assertThat(header(noStore, "ETag")).isNull();
    assertThat(text(noStore)).isEqualTo("hello");
    HttpResponse<byte[]> missing = get(server.uri("/nothing"), "If-None-Match", "*");
    assertThat(missing.statusCode()).isEqualTo(404);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void rangesAreServedFromTheHeldBodyAndIfRangeDecides(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/a", "0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    String etag = header(get(server.uri("/a")), "ETag");
    HttpResponse<byte[]> part = get(server.uri("/a"), "Range", "bytes=2-5");
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(text(part)).isEqualTo("2345");
    assertThat(header(part, "Content-Range")).isEqualTo("bytes 2-5/16");
    assertThat(header(part, "ETag")).isEqualTo(etag);
    assertThat(get(server.uri("/a"), "Range", "bytes=10-", "If-Range", etag).statusCode()).isEqualTo(206);
    HttpResponse<byte[]> stale = get(server.uri("/a"), "Range", "bytes=10-", "If-Range", "\"old\"");
    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(text(stale)).isEqualTo("0123456789abcdef");
    HttpResponse<byte[]> beyond = get(server.uri("/a"), "Range", "bytes=100-");
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(header(beyond, "Content-Range")).isEqualTo("bytes */16");
    assertThat(head(server.uri("/a"), "Range", "bytes=2-5").statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void bodiesBeyondTheBufferStreamWithoutGeneratedETag(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/big", new byte[1]);
    int size = 64 * 1024 * 5 + 17;
    HttpResponse<byte[]> r = get(server.uri("/big?big=" + size));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "ETag")).isNull();
    assertThat(r.body()).hasSize(size);
    for (int i = 0; i < size; i += 9973) {
      assertThat(r.body()[i]).isEqualTo((byte) ('a' + i % 26));
    }
    HttpResponse<byte[]> withOwnTag = get(server.uri("/big?big=" + size + "&etag=%22big%22"), "If-None-Match", "\"big\"");
    assertThat(withOwnTag.statusCode()).isEqualTo(304);
    HttpResponse<byte[]> exact = get(server.uri("/big?big=" + 64 * 1024));
    assertThat(header(exact, "ETag")).isNotNull();
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void asyncAndWriterResponsesAreServedWhole(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/a", "héllo".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> async = get(server.uri("/a?async"));
    assertThat(async.statusCode()).isEqualTo(200);
    assertThat(text(async)).isEqualTo("héllo");
    HttpResponse<byte[]> writer = get(server.uri("/a?writer"));
    assertThat(text(writer)).isEqualTo("héllo");
    assertThat(header(writer, "ETag")).isEqualTo(header(get(server.uri("/a")), "ETag"));
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void guardedWritesNeedAPreconditionAndAStaleOneFails(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    HttpResponse<byte[]> unconditional = put(server.uri("/guarded/x"), "v1");
    assertThat(unconditional.statusCode()).isEqualTo(428);
    assertThat(header(unconditional, "Content-Type")).startsWith("application/problem+json");
    assertThat(text(unconditional)).contains("\"status\":428").contains("/guarded/x");
    assertThat(servlet.store).doesNotContainKey("/guarded/x");

    assertThat(put(server.uri("/guarded/x"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    // (The identical create again would be a retry of this one: retryRecognition, SafeRetryTest.)
    assertThat(put(server.uri("/guarded/x"), "another v1", "If-None-Match", "*").statusCode()).isEqualTo(412);
    String v1 = header(get(server.uri("/guarded/x")), "ETag");

    HttpResponse<byte[]> bob = put(server.uri("/guarded/x"), "bob", "If-Match", v1);
    assertThat(bob.statusCode()).isEqualTo(204);
    assertThat(header(bob, "ETag")).as("RFC 9110 9.3.4: stored bytes equal the content")
        .isEqualTo(tagOf("bob".getBytes(StandardCharsets.UTF_8)).toString());
    HttpResponse<byte[]> mary = put(server.uri("/guarded/x"), "mary", "If-Match", v1);
    assertThat(mary.statusCode()).isEqualTo(412);
    assertThat(header(mary, "ETag")).isEqualTo(header(bob, "ETag"));
    assertThat(text(mary)).contains("precondition-failed");
    assertThat(new String(servlet.store.get("/guarded/x"), StandardCharsets.UTF_8)).isEqualTo("bob");

    assertThat(delete(server.uri("/guarded/x")).statusCode()).isEqualTo(428);
    assertThat(delete(server.uri("/guarded/x"), "If-Match", v1).statusCode()).isEqualTo(412);
    assertThat(delete(server.uri("/guarded/x"), "If-Match", header(bob, "ETag")).statusCode()).isEqualTo(204);
    assertThat(delete(server.uri("/guarded/x"), "If-Match", "*").statusCode()).isEqualTo(412);
    assertThat(put(server.uri("/guarded/x"), "v", "If-Match", "nonsense").statusCode()).isEqualTo(400);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void unknownValidatorsAreLearnedThroughTheApplication(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    byte[] v1 = "written behind the guard's back".getBytes(StandardCharsets.UTF_8);
    servlet.store.put("/guarded/y", v1);
    assertThat(put(server.uri("/guarded/y"), "x", "If-Match", "\"stale\"").statusCode()).isEqualTo(412);
    assertThat(new String(servlet.store.get("/guarded/y"), StandardCharsets.UTF_8)).isEqualTo("written behind the guard's back");
    engine.store().invalidate(new dev.etagguard.spi.ResourceKey("/guarded/y"));
    assertThat(put(server.uri("/guarded/y"), "x", "If-Match", tagOf(v1).toString()).statusCode()).isEqualTo(204);
    assertThat(servlet.store.get("/guarded/y")).isEqualTo("x".getBytes(StandardCharsets.UTF_8));
    assertThat(put(server.uri("/guarded/z"), "new", "If-Match", "*").statusCode()).isEqualTo(412);
    assertThat(servlet.store).doesNotContainKey("/guarded/z");
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void permitIsReleasedWhenTheHandlerFails(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    servlet.store.put("/guarded/f", "v".getBytes(StandardCharsets.UTF_8));
    String etag = header(get(server.uri("/guarded/f")), "ETag");
    HttpResponse<byte[]> failed = put(server.uri("/guarded/f?throw"), "boom", "If-Match", etag);
    assertThat(failed.statusCode()).as(text(failed)).isEqualTo(500);
    assertThat(engine.sequencer().heldPermits()).isZero();
    // A 500 after the handler changed the resource: the guard forgets what it knew and checks again.
    assertThat(put(server.uri("/guarded/f?status=500"), "boom", "If-Match", etag).statusCode()).isEqualTo(500);
    assertThat(put(server.uri("/guarded/f"), "stale", "If-Match", etag).statusCode()).isEqualTo(412);
    String current = header(get(server.uri("/guarded/f")), "ETag");
    assertThat(put(server.uri("/guarded/f"), "ok", "If-Match", current).statusCode()).isEqualTo(204);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void asyncWritesHoldThePermitUntilTheyCompleteOrTimeOut(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    assertThat(put(server.uri("/guarded/a?async"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String etag = header(get(server.uri("/guarded/a")), "ETag");
    assertThat(put(server.uri("/guarded/a?async"), "v2", "If-Match", etag).statusCode()).isEqualTo(204);
    assertThat(put(server.uri("/guarded/a"), "v3", "If-Match", etag).statusCode()).isEqualTo(412);
    String v2 = header(get(server.uri("/guarded/a")), "ETag");
    // A write whose async processing times out: the container answers, the permit comes back.
    int timedOut = put(server.uri("/guarded/a?async&timeout=200"), "never", "If-Match", v2).statusCode();
    assertThat(timedOut).isGreaterThanOrEqualTo(500);
    assertThat(put(server.uri("/guarded/a"), "v4", "If-Match", v2).statusCode()).isEqualTo(204);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void withReadPermitsAReadWaitsForTheWriteInProgressAndReadsShare(EmbeddedServer.Kind kind) throws Exception {
    start(kind, GuardSettings.builder().readPermits(true).permitTimeout(java.time.Duration.ofSeconds(30)).build());
    servlet.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      // The write holds the permit while its handler sleeps; a read sent meanwhile sees its result.
      Future<HttpResponse<byte[]>> write = pool.submit(() -> put(server.uri("/r?slow=300"), "new"));
      awaitHeldPermits(1);
      HttpResponse<byte[]> read = get(server.uri("/r"));
      assertThat(write.get().statusCode()).isEqualTo(204);
      assertThat(text(read)).as("the read waited for the write ahead of it").isEqualTo("new");
      assertThat(header(read, "ETag")).isEqualTo(tagOf("new".getBytes(StandardCharsets.UTF_8)).toString());

      // Two slow reads hold the permit together.
      Future<HttpResponse<byte[]>> r1 = pool.submit(() -> get(server.uri("/r?slow=300")));
      Future<HttpResponse<byte[]>> r2 = pool.submit(() -> get(server.uri("/r?slow=300")));
      awaitHeldPermits(2);
      assertThat(text(r1.get())).isEqualTo("new");
      assertThat(text(r2.get())).isEqualTo("new");

      // Async reads release their permit on completion (checked after each test).
      assertThat(text(get(server.uri("/r?async")))).isEqualTo("new");
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void aReadThatCannotGetItsPermitInTimeIs503(EmbeddedServer.Kind kind) throws Exception {
    start(kind, GuardSettings.builder().readPermits(true).permitTimeout(java.time.Duration.ofMillis(50)).build());
    servlet.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<HttpResponse<byte[]>> write = pool.submit(() -> put(server.uri("/r?slow=500"), "new"));
      awaitHeldPermits(1);
      HttpResponse<byte[]> read = get(server.uri("/r"));
      assertThat(read.statusCode()).isEqualTo(503);
      assertThat(header(read, "Retry-After")).isNotNull();
      assertThat(text(read)).contains("write-permit-unavailable");
      assertThat(write.get().statusCode()).isEqualTo(204);
    } finally {
      pool.shutdownNow();
    }
  }

  private void awaitHeldPermits(int n) throws InterruptedException {
    assertThat(Permits.awaitHeld(engine.sequencer(), n, Duration.ofSeconds(30))).isEqualTo(n);
  }

  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void concurrentReadModifyWriteLosesNoUpdate(EmbeddedServer.Kind kind) throws Exception {
    start(kind);
    LostUpdateDrill.run(server.uri("/guarded/counter"), 8, 15);
  }

  /** Option minContentRate: content sent after Expect: 100-continue at one byte a second ends the write at the rate. */
  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void expectContinueContentSentSlowlyEndsTheWriteAtTheRate(EmbeddedServer.Kind kind) throws Exception {
    start(kind, SlowContentScenarios.settings());
    SlowContentScenarios.expectContinue(server, engine.sequencer(), servlet.store::get);
  }

  /** Option minContentRate: content beyond the 8 MiB received before the permit, sent slowly, ends the write at the rate. */
  @ParameterizedTest
  @EnumSource(EmbeddedServer.Kind.class)
  void contentBeyondTheReceivedPartSentSlowlyEndsTheWriteAtTheRate(EmbeddedServer.Kind kind) throws Exception {
    start(kind, SlowContentScenarios.settings());
    SlowContentScenarios.beyondTheReceivedPart(server, engine.sequencer(), SpooledContent.LIMIT, servlet.store::get);
  }
}
