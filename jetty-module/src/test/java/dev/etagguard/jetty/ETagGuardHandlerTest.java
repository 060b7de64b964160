package dev.etagguard.jetty;

import static dev.etagguard.testing.Http.delete;
import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.head;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.etagguard.testing.Permits;
import dev.etagguard.testing.Wire;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.OptionSamples;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.support.Builtins;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The handler in front of a core (non-servlet) handler, on a real Jetty over real sockets. */
class ETagGuardHandlerTest {

  private JettyServer server;
  private CoreStore store;
  private GuardEngine engine;

  private void start(GuardSettings settings) throws Exception {
    store = new CoreStore();
    engine = GuardEngine.create(settings);
    ETagGuardHandler guard = new ETagGuardHandler(engine);
    guard.setHandler(store);
    server = new JettyServer(guard);
  }

  private void start() throws Exception {
    start(GuardSettings.builder().guardedPaths("/guarded/*").maxBufferSize(64 * 1024).build());
  }

  @AfterEach
  void stop() throws Exception {
    if (engine != null) {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while ((engine.sequencer().heldPermits() != 0 || engine.sequencer().activeKeys() != 0)
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(engine.sequencer().heldPermits()).as("permits held after the test").isZero();
      assertThat(engine.sequencer().activeKeys()).as("sequencer keys left").isZero();
    }
    if (server != null) {
      server.close();
    }
  }

  private static String tagOf(String body) {
    EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    d.update(b, 0, b.length);
    EntityTag tag = d.finish();
    return tag.toString();
  }

  @Test
  void getCarriesGeneratedETagAnd304Works() throws Exception {
    start();
    store.store.put("/a", "hello".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> r = get(server.uri("/a"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("hello");
    assertThat(header(r, "ETag")).isEqualTo(tagOf("hello"));
    assertThat(header(r, "Last-Modified")).isNotNull();
    HttpResponse<byte[]> nm = get(server.uri("/a"), "If-None-Match", header(r, "ETag"));
    assertThat(nm.statusCode()).isEqualTo(304);
    assertThat(nm.body()).isEmpty();
    assertThat(header(nm, "ETag")).isEqualTo(header(r, "ETag"));
    HttpResponse<byte[]> h = head(server.uri("/a"));
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(header(h, "ETag")).isEqualTo(header(r, "ETag"));
    assertThat(header(h, "Content-Length")).isEqualTo("5");
    assertThat(get(server.uri("/missing")).statusCode()).isEqualTo(404);
  }

  @Test
  void rangesAndIfRange() throws Exception {
    start();
    store.store.put("/a", "0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    String etag = header(get(server.uri("/a")), "ETag");
    HttpResponse<byte[]> part = get(server.uri("/a"), "Range", "bytes=2-5", "If-Range", etag);
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(text(part)).isEqualTo("2345");
    assertThat(header(part, "Content-Range")).isEqualTo("bytes 2-5/16");
    HttpResponse<byte[]> stale = get(server.uri("/a"), "Range", "bytes=2-5", "If-Range", "\"old\"");
    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(text(stale)).isEqualTo("0123456789abcdef");
    assertThat(get(server.uri("/a"), "Range", "bytes=99-").statusCode()).isEqualTo(416);
  }

  @Test
  void largeBodiesStreamUntaggedAndHandlerTagsStillAnswer304() throws Exception {
    start();
    int size = 64 * 1024 * 7 + 3;
    HttpResponse<byte[]> r = get(server.uri("/big?big=" + size));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "ETag")).isNull();
    assertThat(r.body()).hasSize(size);
    for (int i = 0; i < size; i += 7919) {
      assertThat(r.body()[i]).isEqualTo((byte) ('a' + i % 26));
    }
    HttpResponse<byte[]> own = get(server.uri("/big?big=" + size + "&etag=%22big%22"), "If-None-Match", "\"big\"");
    assertThat(own.statusCode()).isEqualTo(304);
    HttpResponse<byte[]> headBig = head(server.uri("/big?big=" + size));
    assertThat(headBig.statusCode()).isEqualTo(200);
    assertThat(headBig.body()).isEmpty();
  }

  @Test
  void aHeadOfABodyBeyondTheBufferDeclaresTheLengthTheGetHas() throws Exception {
    start();
    int size = 64 * 1024 * 3 + 5; // streamed in chunks, no Content-Length from the handler
    Wire.Response g = Wire.exchange("GET", server.uri("/big?big=" + size));
    assertThat(g.body()).hasSize(size);
    Wire.Response h = Wire.exchange("HEAD", server.uri("/big?big=" + size));
    assertThat(h.status()).isEqualTo(200);
    assertThat(h.body()).isEmpty();
    // RFC 9110 9.3.2 and 8.6: a HEAD's Content-Length, when sent, is the one its GET would have.
    assertThat(h.header("Content-Length")).as("the HEAD's declared length").isEqualTo(Integer.toString(size));
  }

  @Test
  void bobAndMaryAnd428AndCreateOnly() throws Exception {
    start();
    assertThat(put(server.uri("/guarded/x"), "v1").statusCode()).isEqualTo(428);
    assertThat(put(server.uri("/guarded/x"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    assertThat(put(server.uri("/guarded/x"), "another v1", "If-None-Match", "*").statusCode()).isEqualTo(412);
    String v1 = header(get(server.uri("/guarded/x")), "ETag");
    HttpResponse<byte[]> bob = put(server.uri("/guarded/x"), "bob", "If-Match", v1);
    assertThat(bob.statusCode()).isEqualTo(204);
    assertThat(header(bob, "ETag")).isEqualTo(tagOf("bob"));
    HttpResponse<byte[]> mary = put(server.uri("/guarded/x"), "mary", "If-Match", v1);
    assertThat(mary.statusCode()).isEqualTo(412);
    assertThat(header(mary, "Content-Type")).startsWith("application/problem+json");
    assertThat(new String(store.store.get("/guarded/x"), StandardCharsets.UTF_8)).isEqualTo("bob");
    assertThat(delete(server.uri("/guarded/x"), "If-Match", header(bob, "ETag")).statusCode()).isEqualTo(204);
    assertThat(put(server.uri("/guarded/x"), "v", "If-Match", "garbage").statusCode()).isEqualTo(400);
  }

  @Test
  void storeMissIsRevalidatedThroughTheHandler() throws Exception {
    start();
    store.store.put("/guarded/y", "behind the guard's back".getBytes(StandardCharsets.UTF_8));
    assertThat(put(server.uri("/guarded/y"), "x", "If-Match", "\"stale\"").statusCode()).isEqualTo(412);
    engine.store().invalidate(new dev.etagguard.spi.ResourceKey("/guarded/y"));
    assertThat(put(server.uri("/guarded/y"), "x", "If-Match", tagOf("behind the guard's back")).statusCode())
        .isEqualTo(204);
    assertThat(put(server.uri("/guarded/none"), "x", "If-Match", "*").statusCode()).isEqualTo(412);
    assertThat(store.store).doesNotContainKey("/guarded/none");
  }

  @Test
  void permitIsReleasedWhenTheHandlerFails() throws Exception {
    start();
    assertThat(put(server.uri("/guarded/f"), "v", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String etag = header(get(server.uri("/guarded/f")), "ETag");
    assertThat(put(server.uri("/guarded/f?fail"), "boom", "If-Match", etag).statusCode()).isEqualTo(500);
    assertThat(put(server.uri("/guarded/f"), "ok", "If-Match", etag).statusCode()).isEqualTo(204);
  }

  @Test
  void clientDisconnectingMidUploadReleasesThePermit() throws Exception {
    start();
    assertThat(put(server.uri("/guarded/d"), "v", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String etag = header(get(server.uri("/guarded/d")), "ETag");
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /guarded/d HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-Match: " + etag
          + "\r\nContent-Length: 100000\r\n\r\npartial").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(200);
    }
    // The next writer proceeds: the abandoned write released its permit.
    HttpResponse<byte[]> next = put(server.uri("/guarded/d"), "next", "If-Match", etag);
    assertThat(next.statusCode()).isIn(204, 412);
    String current = header(get(server.uri("/guarded/d")), "ETag");
    assertThat(put(server.uri("/guarded/d"), "final", "If-Match", current).statusCode()).isEqualTo(204);
    assertThat(new String(store.store.get("/guarded/d"), StandardCharsets.UTF_8)).isEqualTo("final");
  }

  @Test
  void thirtyTwoClientsLoseNoUpdate() throws Exception {
    start();
    LostUpdateDrill.run(server.uri("/guarded/counter"), 32, 10);
  }

  @Test
  void withReadPermitsAReadWaitsForTheWriteInProgressAndReadsShare() throws Exception {
    start(GuardSettings.builder().readPermits(true).permitTimeout(java.time.Duration.ofSeconds(30)).build());
    store.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<HttpResponse<byte[]>> write = pool.submit(() -> put(server.uri("/r?slow=300"), "new"));
      awaitHeldPermits(1);
      HttpResponse<byte[]> read = get(server.uri("/r"));
      assertThat(write.get().statusCode()).isEqualTo(204);
      assertThat(text(read)).as("the read waited for the write ahead of it").isEqualTo("new");
      assertThat(header(read, "ETag")).isEqualTo(tagOf("new"));

      Future<HttpResponse<byte[]>> r1 = pool.submit(() -> get(server.uri("/r?slow=300")));
      Future<HttpResponse<byte[]>> r2 = pool.submit(() -> get(server.uri("/r?slow=300")));
      awaitHeldPermits(2);
      assertThat(text(r1.get())).isEqualTo("new");
      assertThat(text(r2.get())).isEqualTo("new");
      assertThat(get(server.uri("/missing")).statusCode()).isEqualTo(404);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void withReadPermitsReadersAndWritersLoseNoUpdate() throws Exception {
    start(GuardSettings.builder().guardedPaths("/guarded/*").readPermits(true).build());
    LostUpdateDrill.run(server.uri("/guarded/counter"), 16, 10);
  }

  @Test
  void aReadThatCannotGetItsPermitInTimeIs503() throws Exception {
    start(GuardSettings.builder().readPermits(true).permitTimeout(java.time.Duration.ofMillis(50)).build());
    store.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<HttpResponse<byte[]>> write = pool.submit(() -> put(server.uri("/r?slow=500"), "new"));
      awaitHeldPermits(1);
      HttpResponse<byte[]> read = get(server.uri("/r"));
      assertThat(read.statusCode()).isEqualTo(503);
      assertThat(text(read)).contains("write-permit-unavailable");
      assertThat(write.get().statusCode()).isEqualTo(204);
    } finally {
      pool.shutdownNow();
    }
  }

  private void awaitHeldPermits(int n) throws InterruptedException {
    assertThat(Permits.awaitHeld(engine.sequencer(), n, Duration.ofSeconds(30))).isEqualTo(n);
  }

  @Test
  void everyOptionIsSetByItsName() throws Exception {
    ETagGuardHandler guard = new ETagGuardHandler();
    OptionSamples.values().forEach(guard::setOption);
    guard.setHandler(new CoreStore());
    org.eclipse.jetty.server.Server s = new org.eclipse.jetty.server.Server();
    s.setHandler(guard);
    try {
      s.start();
      OptionSamples.assertSamples(guard.getEngine().settings());
    } finally {
      s.stop();
    }
  }

  @Test
  void optionsConfigureTheHandlerAndBadValuesFailTheStart() throws Exception {
    ETagGuardHandler guard = new ETagGuardHandler();
    guard.setOption("guardedPaths", "/g/*");
    guard.setOption("permitTimeout", "nonsense");
    guard.setHandler(new CoreStore());
    org.eclipse.jetty.server.Server s = new org.eclipse.jetty.server.Server();
    s.setHandler(guard);
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(s::start).hasMessageContaining("permitTimeout");
    } finally {
      s.stop();
    }
  }

}
