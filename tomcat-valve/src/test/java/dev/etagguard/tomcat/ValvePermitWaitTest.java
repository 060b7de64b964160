package dev.etagguard.tomcat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;

import dev.etagguard.GuardEngine;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.QueuedWriteServlet;
import dev.etagguard.testing.ResourceServlet;

import org.apache.catalina.Context;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Requests waiting for their resource's permit behind the valve (issue 18): a dozen writes queued
 * behind a slow one each run, in order, through a filter of the webapp mapped for REQUEST
 * dispatches only, seeing a REQUEST, whether their handler answers at once, completes
 * asynchronously or dispatches its result (the case that broke a resumption of suspended
 * requests); with {@code readPermits}, reads queued behind a write get its whole new version; a
 * client that leaves while it waits does not keep the key; a handler failing after its wait gets
 * the container's 500 and the queue goes on; 32 writers of one counter lose no update and no
 * content. Tomcat runs {@value #THREADS} request threads: the waiting requests hold none.
 */
class ValvePermitWaitTest {

  private static final int QUEUED = 12;

  /** Tomcat's request threads: fewer than the requests waiting, which must hold none. */
  private static final int THREADS = 4;

  @Test
  void queuedWritesRunInOrderThroughTheRequestFilters() throws Exception {
    try (App app = App.start(valve())) {
      app.servlet().queueWrites(app.engine().sequencer(), app.server()::uri, QUEUED, true);
    }
  }

  @Test
  void aClientThatLeavesWhileWaitingGivesItsTurnUp() throws Exception {
    try (App app = App.start(valve())) {
      QueuedWriteServlet servlet = app.servlet();
      ValveServer server = app.server();
      GuardEngine engine = app.engine();
      HttpClient client = app.client();
      CompletableFuture<HttpResponse<String>> first = QueuedWriteServlet.put(client, server.uri("/w/k"), "first");
      assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      try (Socket leaving = new Socket()) {
        leaving.connect(new InetSocketAddress("127.0.0.1", server.base().getPort()), 5_000);
        OutputStream out = leaving.getOutputStream();
        out.write(("PUT /w/k HTTP/1.1\r\nHost: x\r\nIf-Match: *\r\nContent-Length: 4\r\n\r\nleft").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertThat(Permits.awaitWaiting(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      }
      Thread.sleep(200); // the connection's end reaches the container
      servlet.release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
      // The key is free at once for the next writer, whether or not the leaving write ran.
      String tag = client.send(HttpRequest.newBuilder(server.uri("/w/k")).build(),
          HttpResponse.BodyHandlers.ofString()).headers().firstValue("ETag").orElse("*");
      HttpResponse<String> next = client.send(HttpRequest.newBuilder(server.uri("/w/k"))
          .timeout(Duration.ofSeconds(5)).header("If-Match", tag)
          .PUT(HttpRequest.BodyPublishers.ofString("next")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(next.statusCode()).isEqualTo(204);
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** A handler that fails in the dispatch that resumed it gets the container's 500; the queue goes on. */
  @Test
  void aResumedHandlerThatFailsReleasesItsTurn() throws Exception {
    try (App app = App.start(valve())) {
      QueuedWriteServlet servlet = app.servlet();
      ValveServer server = app.server();
      GuardEngine engine = app.engine();
      HttpClient client = app.client();
      CompletableFuture<HttpResponse<String>> first = QueuedWriteServlet.put(client, server.uri("/w/k"), "first");
      assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      CompletableFuture<HttpResponse<String>> failing = QueuedWriteServlet.put(client, server.uri("/w/k?throw"), "fails");
      assertThat(Permits.awaitWaiting(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      CompletableFuture<HttpResponse<String>> after = QueuedWriteServlet.put(client, server.uri("/w/k"), "after");
      assertThat(Permits.awaitWaiting(engine.sequencer(), 2, Duration.ofSeconds(10))).isEqualTo(2);
      servlet.release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(failing.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(500);
      assertThat(after.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
      assertThat(servlet.bodies).containsEntry("/w/k", "after");
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** A write whose permit does not come in time is answered 503 by the guard; its handler never runs. */
  @Test
  void aWriteRefusedItsTurnIsAnsweredWithoutItsHandler() throws Exception {
    try (App app = App.start(valve("permitTimeout", "1s"))) {
      app.servlet().refuseQueued(app.engine().sequencer(), app.server()::uri, QUEUED);
    }
  }

  /**
   * A write granted its turn after the guard left the webapp's pipeline (it stopped while the
   * write waited) reaches the webapp without the guard: it is not run (500), and its turn is
   * given up when the request ends.
   */
  @Test
  void aWriteResumedWithoutItsGuardIsNotRun() throws Exception {
    try (App app = App.start(valve())) {
      QueuedWriteServlet servlet = app.servlet();
      CompletableFuture<HttpResponse<String>> first = QueuedWriteServlet.put(app.client(), app.server().uri("/w/k"), "first");
      assertThat(Permits.awaitHeld(app.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      CompletableFuture<HttpResponse<String>> orphan = QueuedWriteServlet.put(app.client(), app.server().uri("/w/k"), "orphan");
      assertThat(Permits.awaitWaiting(app.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      Thread.sleep(300); // past the brief wait on its thread (10 ms): suspended
      for (org.apache.catalina.Valve v : app.root().getPipeline().getValves()) {
        if (v.getClass().getName().endsWith("$Guarding")) {
          app.root().getPipeline().removeValve(v);
        }
      }
      servlet.release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(orphan.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(500);
      assertThat(servlet.ran).as("handlers run").hasValue(1);
      assertThat(servlet.bodies).containsEntry("/w/k", "first");
      assertThat(Permits.awaitHeld(app.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** With readPermits, reads of a resource being written wait suspended too, and then get the whole new version. */
  @Test
  void readsWaitingForAWriteGetTheWholeNewVersion() throws Exception {
    try (App app = App.start(valve("readPermits", "true"))) {
      QueuedWriteServlet servlet = app.servlet();
      ValveServer server = app.server();
      GuardEngine engine = app.engine();
      HttpClient client = app.client();
      CompletableFuture<HttpResponse<String>> write = QueuedWriteServlet.put(client, server.uri("/w/k"), "first");
      assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      List<CompletableFuture<HttpResponse<String>>> reads = new ArrayList<>();
      for (int i = 0; i < QUEUED; i++) {
        reads.add(client.sendAsync(HttpRequest.newBuilder(server.uri("/w/k")).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      assertThat(Permits.awaitWaiting(engine.sequencer(), QUEUED, Duration.ofSeconds(10))).isEqualTo(QUEUED);
      HttpResponse<String> other = client.send(HttpRequest.newBuilder(server.uri("/other"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).as("answered while %d reads wait", QUEUED).isEqualTo(200);
      servlet.release.countDown();
      assertThat(write.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      String tag = write.get().headers().firstValue("ETag").orElseThrow();
      for (CompletableFuture<HttpResponse<String>> read : reads) {
        HttpResponse<String> r = read.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("first");
        assertThat(r.headers().firstValue("ETag")).contains(tag);
      }
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** Many writers on one key: ordered writes, no If-Match wins twice, no content lost. */
  @RepeatedTest(3)
  void suspendedWritersLoseNoUpdate() throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    Context[] root = new Context[1];
    ETagGuardValve valve = valve();
    try (ValveServer server = ValveServer.start(valve, tomcat -> {
      fewThreads(tomcat);
      root[0] = ValveServer.root(tomcat);
      ValveServer.addServlet(root[0], "app", servlet, "/*");
    })) {
      LostUpdateDrill.Report report = LostUpdateDrill.across(List.of(server.uri("/r/counter")))
          .clients(32).incrementsEach(4).run();
      assertThat(report.successes()).isEqualTo(32 * 4);
      assertThat(report.lostUpdates()).isZero();
      assertThat(report.finalValue()).isEqualTo(32 * 4);
      assertThat(Permits.awaitHeld(valve.engine(root[0]).sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** The valve and a webapp: {@link QueuedWriteServlet} behind a filter for REQUEST dispatches only. */
  private record App(ValveServer server, GuardEngine engine, QueuedWriteServlet servlet, HttpClient client, Context root)
      implements AutoCloseable {
    static App start(ETagGuardValve valve) throws Exception {
      QueuedWriteServlet servlet = new QueuedWriteServlet();
      Context[] root = new Context[1];
      ValveServer server = ValveServer.start(valve, tomcat -> {
        fewThreads(tomcat);
        root[0] = ValveServer.root(tomcat);
        ValveServer.addServlet(root[0], "app", servlet, "/*");
        addRequestFilter(root[0]);
      });
      return new App(server, valve.engine(root[0]), servlet,
          HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), root[0]);
    }

    @Override
    public void close() {
      server.close();
    }
  }

  /** The valve with {@code option} set to {@code value} besides the test's own. */
  private static ETagGuardValve valve(String option, String value) {
    ETagGuardValve valve = valve();
    valve.setProperty(option, value);
    return valve;
  }

  private static ETagGuardValve valve() {
    ETagGuardValve valve = new ETagGuardValve();
    valve.setProperty("guardedPaths", "/*");
    valve.setProperty("permitTimeout", "20s");
    return valve;
  }

  private static void fewThreads(org.apache.catalina.startup.Tomcat tomcat) {
    tomcat.getConnector().setProperty("maxThreads", Integer.toString(THREADS));
    tomcat.getConnector().setProperty("minSpareThreads", Integer.toString(THREADS));
  }

  /** A filter of the webapp, for REQUEST dispatches only, marking the requests it saw. */
  private static void addRequestFilter(Context context) {
    Filter marking = QueuedWriteServlet.marking();
    FilterDef def = new FilterDef();
    def.setFilterName("marking");
    def.setFilter(marking);
    def.setAsyncSupported("true");
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName("marking");
    map.addURLPattern("/*");
    map.setDispatcher(DispatcherType.REQUEST.name());
    context.addFilterMap(map);
  }
}
