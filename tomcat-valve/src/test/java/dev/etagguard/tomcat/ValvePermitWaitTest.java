package dev.etagguard.tomcat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.GuardEngine;
import dev.etagguard.GuardSettings;
import dev.etagguard.testing.Permits;

import org.apache.catalina.Context;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.Test;

/**
 * Writes waiting for their resource's permit behind the valve hold no container thread when the
 * webapp's filters run on ASYNC dispatches too (issue 18 #1): with 4 request threads, a dozen
 * writes queued behind a slow one leave the server free to answer anything else, and each write
 * runs, in order, through the same filters its REQUEST dispatch would have. A webapp with a
 * filter for REQUEST dispatches only keeps its waiting writes on their threads, and never lets
 * one reach the handler without that filter.
 */
class ValvePermitWaitTest {

  private static final int QUEUED = 12;

  /** PUT stores (the first one to /w/slow waits for the test's latch); GET /other answers at once. */
  static final class WriteServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    final transient Map<String, String> bodies = new ConcurrentHashMap<>();
    final transient CountDownLatch release = new CountDownLatch(1);

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.getWriter().write("other");
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if (req.getAttribute("filtered") == null) {
        resp.sendError(403); // the webapp's own filter must have run
        return;
      }
      String body = new String(req.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      try {
        if (!release.await(20, TimeUnit.SECONDS)) {
          resp.sendError(500);
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      resp.setStatus(bodies.put(req.getPathInfo(), body) == null ? 201 : 204);
    }
  }

  @Test
  void queuedWritesLeaveTheThreadsFree() throws Exception {
    run(true);
  }

  @Test
  void aFilterForRequestsOnlyKeepsWritersOnTheirThreads() throws Exception {
    run(false);
  }

  private static void run(boolean filterOnAsync) throws Exception {
    WriteServlet servlet = new WriteServlet();
    ETagGuardValve valve = new ETagGuardValve(GuardSettings.builder().permitTimeout(Duration.ofSeconds(20)).build());
    Context[] root = new Context[1];
    try (ValveServer server = ValveServer.start(valve, tomcat -> {
      tomcat.getConnector().setProperty("maxThreads", "4");
      root[0] = ValveServer.root(tomcat);
      ValveServer.addServlet(root[0], "app", servlet, "/*");
      addMarkingFilter(root[0], filterOnAsync);
    })) {
      GuardEngine engine = valve.engine(root[0]);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      List<CompletableFuture<HttpResponse<String>>> writes = new ArrayList<>();
      writes.add(put(client, server.uri("/w/slow"), "first"));
      assertThat(Permits.awaitHeld(engine.sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      for (int i = 0; i < QUEUED; i++) {
        writes.add(put(client, server.uri("/w/slow"), "w" + i));
      }
      if (filterOnAsync) {
        assertThat(Permits.awaitWaiting(engine.sequencer(), QUEUED, Duration.ofSeconds(10))).isEqualTo(QUEUED);
        HttpResponse<String> other = client.send(HttpRequest.newBuilder(server.uri("/other"))
            .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).as("answered while %d writes wait", QUEUED).isEqualTo(200);
      } else {
        // 3 threads wait for the permit (the fourth runs the slow write): the rest queue in the connector.
        assertThat(Permits.awaitWaiting(engine.sequencer(), 3, Duration.ofSeconds(10))).isEqualTo(3);
      }
      servlet.release.countDown();
      int created = 0;
      for (CompletableFuture<HttpResponse<String>> write : writes) {
        int status = write.get(30, TimeUnit.SECONDS).statusCode();
        assertThat(status).as("every write ran its handler, through the webapp's filter").isIn(201, 204);
        created += status == 201 ? 1 : 0;
      }
      assertThat(created).isEqualTo(1);
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  private static CompletableFuture<HttpResponse<String>> put(HttpClient client, URI uri, String body) {
    return client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A filter of the webapp marking the requests it saw; for REQUEST only, or REQUEST and ASYNC. */
  private static void addMarkingFilter(Context context, boolean onAsync) {
    Filter marking = (request, response, chain) -> {
      request.setAttribute("filtered", Boolean.TRUE);
      chain.doFilter(request, response);
    };
    FilterDef def = new FilterDef();
    def.setFilterName("marking");
    def.setFilter(marking);
    def.setAsyncSupported("true");
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName("marking");
    map.addURLPattern("/*");
    map.setDispatcher(DispatcherType.REQUEST.name());
    if (onAsync) {
      map.setDispatcher(DispatcherType.ASYNC.name());
    }
    context.addFilterMap(map);
  }
}
