package dev.etagguard.jetty;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.head;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ServerUnderTest;
import dev.etagguard.testing.Wire;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The handler's exchange when the wrapped handler declines a request (returns {@code false}) or
 * fails after its response went out, with a permit taken: the permit is released once, the
 * client gets one response, and the next request of the resource proceeds.
 */
class DeclinedAndFailedTest {

  private JettyServer server;
  private CoreStore store;
  private GuardEngine engine;
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch proceed = new CountDownLatch(1);
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  /**
   * In front of the store: {@code decline} returns {@code false} untouched, {@code hold} blocks
   * until the test lets it go, {@code failAfter} fails the callback once the response is complete.
   */
  private final class Scripted extends Handler.Wrapper {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      Fields query = Request.extractQueryParameters(request);
      if (query.get("decline") != null) {
        return false;
      }
      if (query.get("hold") != null) {
        entered.countDown();
        proceed.await(10, TimeUnit.SECONDS);
      }
      if (query.get("failAfter") != null) {
        return super.handle(request, response, Callback.from(
            () -> callback.failed(new IOException("handler failure after its response (test)")), callback::failed));
      }
      return super.handle(request, response, callback);
    }
  }

  private void start(GuardSettings settings) throws Exception {
    store = new CoreStore();
    engine = GuardEngine.create(settings);
    Scripted scripted = new Scripted();
    scripted.setHandler(store);
    ETagGuardHandler guard = new ETagGuardHandler(engine);
    guard.setHandler(scripted);
    server = new JettyServer(guard);
  }

  @AfterEach
  @SuppressWarnings("try") // the resources are only closed: the server, then the engine
  void stop() throws Exception {
    proceed.countDown();
    pool.shutdownNow();
    try (GuardEngine closedLast = engine; ServerUnderTest closedFirst = server) {
      if (closedLast != null) {
        Permits.assertNoneLeft(closedLast.sequencer());
      }
    }
  }

  /** Starts a write that holds the permit of {@code /r} until {@link #proceed} opens. */
  private Future<HttpResponse<byte[]>> holdingWrite() throws Exception {
    Future<HttpResponse<byte[]>> write = pool.submit(() -> put(server.uri("/r?hold"), "one"));
    assertThat(entered.await(5, TimeUnit.SECONDS)).as("the holding write runs its handler").isTrue();
    return write;
  }

  @Test
  void aReadDeclinedAfterWaitingForItsSharedPermitIs404AndTheWriterBehindItProceeds() throws Exception {
    start(GuardSettings.builder().readPermits(true).permitTimeout(Duration.ofSeconds(10)).build());
    store.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    Future<HttpResponse<byte[]>> first = holdingWrite();
    Future<HttpResponse<byte[]>> read = pool.submit(() -> get(server.uri("/r?decline")));
    assertThat(Permits.awaitWaiting(engine.sequencer(), 1, Duration.ofSeconds(5))).isEqualTo(1);
    Future<HttpResponse<byte[]>> second = pool.submit(() -> put(server.uri("/r"), "two"));
    assertThat(Permits.awaitWaiting(engine.sequencer(), 2, Duration.ofSeconds(5))).isEqualTo(2);
    proceed.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    assertThat(read.get(10, TimeUnit.SECONDS).statusCode()).as("the server's answer to a request not handled")
        .isEqualTo(404);
    assertThat(second.get(5, TimeUnit.SECONDS).statusCode()).as("the writer queued behind the declined read")
        .isEqualTo(204);
    assertThat(text(get(server.uri("/r")))).isEqualTo("two");
  }

  @Test
  void aHeadDeclinedAfterWaitingForItsSharedPermitIs404() throws Exception {
    start(GuardSettings.builder().readPermits(true).build());
    store.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    Future<HttpResponse<byte[]>> first = holdingWrite();
    Future<HttpResponse<byte[]>> read = pool.submit(() -> head(server.uri("/r?decline")));
    assertThat(Permits.awaitWaiting(engine.sequencer(), 1, Duration.ofSeconds(5))).isEqualTo(1);
    proceed.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    assertThat(read.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
    assertThat(put(server.uri("/r"), "two").statusCode()).isEqualTo(204);
  }

  @Test
  void aReadDeclinedWithItsSharedPermitGrantedAtOnceIs404() throws Exception {
    start(GuardSettings.builder().readPermits(true).build());
    assertThat(get(server.uri("/r?decline")).statusCode()).isEqualTo(404);
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    assertThat(put(server.uri("/r"), "two").statusCode()).isEqualTo(201);
  }

  @Test
  void aWriteDeclinedAfterWaitingForItsPermitIs404AndTheWriterBehindItProceeds() throws Exception {
    start(GuardSettings.builder().permitTimeout(Duration.ofSeconds(10)).build());
    store.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    Future<HttpResponse<byte[]>> first = holdingWrite();
    Future<HttpResponse<byte[]>> declined = pool.submit(() -> put(server.uri("/r?decline"), "never"));
    assertThat(Permits.awaitWaiting(engine.sequencer(), 1, Duration.ofSeconds(5))).isEqualTo(1);
    Future<HttpResponse<byte[]>> second = pool.submit(() -> put(server.uri("/r"), "two"));
    assertThat(Permits.awaitWaiting(engine.sequencer(), 2, Duration.ofSeconds(5))).isEqualTo(2);
    proceed.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    assertThat(declined.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
    assertThat(second.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    assertThat(text(get(server.uri("/r")))).isEqualTo("two");
  }

  @Test
  void aStreamedReadWhoseHandlerFailsAfterItsLastWriteReachesTheClientWholeAndReleasesItsPermit() throws Exception {
    start(GuardSettings.builder().readPermits(true).maxBufferSize(1024).build());
    Wire.Response r = Wire.exchange("GET", server.uri("/r?big=200000&failAfter"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.rest().length).as("no second response after the body").isLessThanOrEqualTo(200_000 + 64);
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    assertThat(put(server.uri("/r"), "two").statusCode()).isEqualTo(201);
  }

  @Test
  void aHeldReadWhoseHandlerFailsAfterItsLastWriteIsSentOnceAndReleasesItsPermit() throws Exception {
    start(GuardSettings.builder().readPermits(true).build());
    store.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    Wire.Response r = Wire.exchange("GET", server.uri("/r?failAfter"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("old");
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    assertThat(put(server.uri("/r"), "two").statusCode()).isEqualTo(204);
  }

  @Test
  void aWriteWhoseHandlerFailsAfterItsLastWriteForgetsTheResourceAndReleasesItsPermit() throws Exception {
    start(GuardSettings.builder().build());
    store.store.put("/r", "old".getBytes(StandardCharsets.UTF_8));
    String old = get(server.uri("/r")).headers().firstValue("ETag").orElseThrow();
    HttpResponse<byte[]> failed = put(server.uri("/r?failAfter"), "two", "If-Match", old);
    assertThat(failed.statusCode()).isIn(204, 500);
    assertThat(text(get(server.uri("/r")))).isEqualTo("two");
    assertThat(put(server.uri("/r"), "three", "If-Match", old).statusCode())
        .as("the old tag no longer matches what the failed write left").isEqualTo(412);
  }
}
