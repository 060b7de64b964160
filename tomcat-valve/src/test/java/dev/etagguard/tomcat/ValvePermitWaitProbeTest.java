package dev.etagguard.tomcat;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.etagguard.GuardEngine;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.WaitProbe;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.LoginConfig;
import org.apache.tomcat.util.descriptor.web.SecurityCollection;
import org.apache.tomcat.util.descriptor.web.SecurityConstraint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Probes of the valve's waiting without a thread: each handler behaviour answers the same
 * whether its request waited for its permit (suspended, resumed by Tomcat's ASYNC dispatch) or
 * not; BASIC authentication holds across the wait; refusals and the valve's removal while
 * requests wait.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ValvePermitWaitProbeTest {

  static final List<String> MODES = WaitProbe.MODES;

  private ValveServer server;
  private WaitProbe.Handler handler;
  private GuardEngine engine;

  @BeforeAll
  void start() throws Exception {
    handler = new WaitProbe.Handler();
    Context[] root = new Context[1];
    ETagGuardValve valve = valve();
    server = ValveServer.start(valve, tomcat -> {
      fewThreads(tomcat);
      root[0] = ValveServer.root(tomcat);
      app(root[0], handler);
    });
    engine = valve.engine(root[0]);
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @ParameterizedTest
  @FieldSource("MODES")
  void aQueuedHandlerAnswersAsOneThatDidNotWait(String mode) throws Exception {
    WaitProbe.Handler h = new WaitProbe.Handler();
    Context[] root = new Context[1];
    ETagGuardValve valve = valve();
    try (ValveServer s = ValveServer.start(valve, tomcat -> {
      fewThreads(tomcat);
      root[0] = ValveServer.root(tomcat);
      app(root[0], h);
    })) {
      WaitProbe.assertSame(h, new WaitProbe.Client(s.base(), null), valve.engine(root[0]).sequencer(), mode);
    }
  }

  /** A waiting write whose If-Match no longer holds when its turn comes: 412, its handler never runs. */
  @Test
  void aQueuedWriteWhoseIfMatchFailedIsRefused412() throws Exception {
    WaitProbe.Client client = new WaitProbe.Client(server.base(), null);
    assertThat(client.send("/p/stale", "plain", "If-None-Match", "v0").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    String tag = client.http().send(HttpRequest.newBuilder(server.uri("/p/stale")).build(),
        HttpResponse.BodyHandlers.ofString()).headers().firstValue("ETag").orElseThrow();
    CountDownLatch hold = handler.holds.computeIfAbsent("/stale", p -> new CountDownLatch(1));
    CompletableFuture<HttpResponse<String>> first = client.http().sendAsync(HttpRequest.newBuilder(server.uri("/p/stale?mode=hold"))
        .header("If-Match", tag).PUT(HttpRequest.BodyPublishers.ofString("v1")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
    CompletableFuture<HttpResponse<String>> stale = client.http().sendAsync(HttpRequest.newBuilder(server.uri("/p/stale?mode=plain"))
        .header("If-Match", tag).PUT(HttpRequest.BodyPublishers.ofString("v2")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(Permits.awaitWaiting(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
    hold.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isIn(200, 201, 204);
    assertThat(stale.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(412);
    assertThat(WaitProbe.runs(handler, "/stale", "plain")).as("only the creating write ran plain").isEqualTo(1);
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
  }

  /** With readPermits: a HEAD and a read whose handler dispatches, queued behind a write. */
  @Test
  void queuedReadsAnswerAsReadsThatDidNotWait() throws Exception {
    WaitProbe.Handler h = new WaitProbe.Handler();
    Context[] root = new Context[1];
    ETagGuardValve valve = valve();
    valve.setProperty("readPermits", "true");
    try (ValveServer s = ValveServer.start(valve, tomcat -> {
      fewThreads(tomcat);
      root[0] = ValveServer.root(tomcat);
      app(root[0], h);
    })) {
      GuardEngine e = valve.engine(root[0]);
      WaitProbe.Client client = new WaitProbe.Client(s.base(), null);
      List<HttpRequest> reads = List.of(
          HttpRequest.newBuilder(s.uri("/p/r?mode=plain")).timeout(Duration.ofSeconds(30)).build(),
          HttpRequest.newBuilder(s.uri("/p/r?mode=plain")).timeout(Duration.ofSeconds(30)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpRequest.newBuilder(s.uri("/p/r?mode=asyncsame")).timeout(Duration.ofSeconds(30)).build());
      List<String> direct = new ArrayList<>();
      assertThat(client.send("/p/r", "plain", "If-None-Match", "v0").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      for (HttpRequest r : reads) {
        HttpResponse<String> a = client.http().send(r, HttpResponse.BodyHandlers.ofString());
        direct.add(a.statusCode() + " " + a.headers().firstValue("Content-Length").orElse("-") + " " + a.body());
      }
      CountDownLatch hold = h.holds.computeIfAbsent("/r", p -> new CountDownLatch(1));
      CompletableFuture<HttpResponse<String>> write = client.send("/p/r", "hold", "If-Match", "v0");
      assertThat(Permits.awaitHeld(e.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      List<CompletableFuture<HttpResponse<String>>> queued = new ArrayList<>();
      for (HttpRequest r : reads) {
        queued.add(client.http().sendAsync(r, HttpResponse.BodyHandlers.ofString()));
      }
      assertThat(Permits.awaitWaiting(e.sequencer(), reads.size(), Duration.ofSeconds(10))).isEqualTo(reads.size());
      hold.countDown();
      assertThat(write.get(30, TimeUnit.SECONDS).statusCode()).isIn(201, 204);
      List<String> after = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> q : queued) {
        HttpResponse<String> a = q.get(30, TimeUnit.SECONDS);
        after.add(a.statusCode() + " " + a.headers().firstValue("Content-Length").orElse("-") + " " + a.body());
      }
      assertThat(after).as("reads queued behind a write (the resource's length and content did not change)").isEqualTo(direct);
      assertThat(Permits.awaitHeld(e.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** BASIC authentication on the webapp: a queued write runs as its user; an unauthenticated one never queues. */
  @Test
  void aQueuedWriteRunsAsItsUser() throws Exception {
    WaitProbe.Handler h = new WaitProbe.Handler();
    Context[] root = new Context[1];
    ETagGuardValve valve = valve();
    try (ValveServer s = ValveServer.start(valve, tomcat -> {
      fewThreads(tomcat);
      tomcat.addUser("alice", "secret");
      tomcat.addRole("alice", "writer");
      root[0] = ValveServer.root(tomcat);
      app(root[0], h);
      basicAuth(root[0]);
    })) {
      GuardEngine e = valve.engine(root[0]);
      WaitProbe.assertSame(h, new WaitProbe.Client(s.base(), "alice:secret"), e.sequencer(), "user");
      assertThat(h.seen.get("/user-queued|user")).startsWith("REQUEST;alice;");
      WaitProbe.Client anonymous = new WaitProbe.Client(s.base(), null);
      WaitProbe.Client alice = new WaitProbe.Client(s.base(), "alice:secret");
      CountDownLatch hold = h.holds.computeIfAbsent("/anon", p -> new CountDownLatch(1));
      CompletableFuture<HttpResponse<String>> first = alice.send("/p/anon", "hold", "If-None-Match", "v0");
      assertThat(Permits.awaitHeld(e.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      HttpResponse<String> anon = anonymous.send("/p/anon", "plain", "If-Match", "x").get(30, TimeUnit.SECONDS);
      assertThat(anon.statusCode()).isEqualTo(401);
      hold.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(WaitProbe.runs(h, "/anon", "plain")).isZero();
      assertThat(Permits.awaitHeld(e.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /**
   * The valve removed from the Host while a write, its permit granted, waits for a thread for its
   * resuming dispatch: that dispatch must not run the handler without the guard (whose received
   * content the handler would then miss).
   */
  @Test
  void aResumingDispatchQueuedWhenTheValveGoesDoesNotRunTheHandlerWithoutItsContent() throws Exception {
    WaitProbe.Handler h = new WaitProbe.Handler();
    Context[] root = new Context[1];
    ETagGuardValve valve = valve();
    try (ValveServer s = ValveServer.start(valve, tomcat -> {
      fewThreads(tomcat);
      root[0] = ValveServer.root(tomcat);
      app(root[0], h);
    })) {
      GuardEngine e = valve.engine(root[0]);
      WaitProbe.Client client = new WaitProbe.Client(s.base(), null);
      CountDownLatch hold = h.holds.computeIfAbsent("/gone", p -> new CountDownLatch(1));
      CompletableFuture<HttpResponse<String>> first = client.send("/p/gone", "hold", "If-None-Match", "v0");
      assertThat(Permits.awaitHeld(e.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      CompletableFuture<HttpResponse<String>> waiting = client.send("/p/gone", "plain", "If-Match", "content");
      assertThat(Permits.awaitWaiting(e.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      // Every other thread busy (the 4th, the holding write's, is taken next by one more), so the
      // resuming dispatch waits in the executor's queue.
      CountDownLatch busy = new CountDownLatch(1);
      List<CompletableFuture<HttpResponse<String>>> blockers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        h.holds.put("/busy" + i, busy);
        blockers.add(client.send("/p/busy" + i, "hold", "If-None-Match", "b" + i));
      }
      Thread.sleep(500);
      hold.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      Thread.sleep(500); // the permit passes, the resuming dispatch is queued behind the blockers
      s.tomcat().getHost().getPipeline().removeValve(valve);
      busy.countDown();
      HttpResponse<String> resumed = waiting.get(30, TimeUnit.SECONDS);
      for (CompletableFuture<HttpResponse<String>> b : blockers) {
        b.get(30, TimeUnit.SECONDS);
      }
      String seen = h.seen.get("/gone|plain");
      assertThat(seen == null || seen.endsWith(";content"))
          .as("the handler ran (%s, answer %s %s) without the content it was sent", seen, resumed.statusCode(), resumed.body())
          .isTrue();
    }
  }

  static void app(Context context, WaitProbe.Handler handler) {
    WaitProbe.onTomcat(context, handler);
  }

  static void basicAuth(Context context) {
    LoginConfig login = new LoginConfig();
    login.setAuthMethod("BASIC");
    login.setRealmName("probe");
    context.setLoginConfig(login);
    context.addSecurityRole("writer");
    SecurityConstraint constraint = new SecurityConstraint();
    constraint.addAuthRole("writer");
    SecurityCollection collection = new SecurityCollection();
    collection.addPattern("/*");
    constraint.addCollection(collection);
    context.addConstraint(constraint);
    context.getPipeline().addValve(new org.apache.catalina.authenticator.BasicAuthenticator());
  }

  static ETagGuardValve valve() {
    ETagGuardValve valve = new ETagGuardValve();
    valve.setProperty("guardedPaths", "/p/*");
    valve.setProperty("permitTimeout", "20s");
    return valve;
  }

  static void fewThreads(Tomcat tomcat) {
    tomcat.getConnector().setProperty("maxThreads", "4");
    tomcat.getConnector().setProperty("minSpareThreads", "4");
  }
}
