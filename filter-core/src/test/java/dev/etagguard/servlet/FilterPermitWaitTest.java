package dev.etagguard.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.QueuedWriteServlet;
import dev.etagguard.testing.ResourceServlet;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.Test;

/**
 * The {@code web.xml} filter on Tomcat: requests waiting for their resource's permit hold no
 * container thread (issue 18). Tomcat runs {@value #THREADS} request threads; a dozen writes queue
 * behind a slow one while another request is answered, each then runs, in order, through the
 * webapp's filter behind the guard mapped for REQUEST dispatches only, seeing a REQUEST, whether
 * its handler answers at once, completes asynchronously or dispatches; the guard itself is mapped
 * for REQUEST only. A filter before the guard runs again when a waiting request resumes (README
 * "Limits"). Writes refused their turn are answered without their handler; 32 writers of one
 * counter lose nothing.
 */
class FilterPermitWaitTest {

  private static final int QUEUED = 12;

  /** Tomcat's request threads: fewer than the requests waiting, which must hold none. */
  private static final int THREADS = 4;

  @Test
  void queuedWritesHoldNoThreadAndRunThroughTheRequestFilters() throws Exception {
    QueuedWriteServlet servlet = new QueuedWriteServlet();
    AtomicInteger before = new AtomicInteger();
    try (Server server = Server.start(servlet, guard("20s"), before)) {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      List<CompletableFuture<HttpResponse<String>>> writes = new ArrayList<>();
      writes.add(put(client, server.uri("/w/slow"), "first"));
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      for (int i = 0; i < QUEUED; i++) {
        writes.add(put(client, server.uri("/w/slow" + (i % 3 == 0 ? "" : i % 3 == 1 ? "?async" : "?dispatch")), "w" + i));
      }
      assertThat(Permits.awaitWaiting(server.engine().sequencer(), QUEUED, Duration.ofSeconds(10)))
          .as("writes waiting for the permit").isEqualTo(QUEUED);
      HttpResponse<String> other = client.send(HttpRequest.newBuilder(server.uri("/other"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).as("answered while %d writes wait", QUEUED).isEqualTo(200);
      servlet.release.countDown();
      int created = 0;
      for (CompletableFuture<HttpResponse<String>> write : writes) {
        int status = write.get(30, TimeUnit.SECONDS).statusCode();
        assertThat(status).as("every write ran its handler, through the webapp's REQUEST filter").isIn(201, 204);
        created += status == 201 ? 1 : 0;
      }
      assertThat(created).isEqualTo(1);
      assertThat(servlet.ran).hasValue(QUEUED + 1);
      assertThat(servlet.seen).containsExactly(DispatcherType.REQUEST);
      assertThat(before).as("the filter before the guard: once per write, again per resumed one").hasValue(1 + 2 * QUEUED);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** A write whose permit does not come in time is answered 503 by the guard; its handler never runs. */
  @Test
  void aWriteRefusedItsTurnIsAnsweredWithoutItsHandler() throws Exception {
    QueuedWriteServlet servlet = new QueuedWriteServlet();
    try (Server server = Server.start(servlet, guard("1s"), new AtomicInteger())) {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      CompletableFuture<HttpResponse<String>> first = put(client, server.uri("/w/k"), "first");
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      List<CompletableFuture<HttpResponse<String>>> refused = new ArrayList<>();
      for (int i = 0; i < QUEUED; i++) {
        refused.add(put(client, server.uri("/w/k"), "late" + i));
      }
      for (CompletableFuture<HttpResponse<String>> write : refused) {
        HttpResponse<String> r = write.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
      }
      assertThat(servlet.ran).as("handlers run: the first write's only").hasValue(1);
      servlet.release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(servlet.bodies).containsEntry("/w/k", "first");
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** Many writers on one key on 4 threads: ordered writes, no If-Match wins twice, no content lost. */
  @Test
  void suspendedWritersLoseNoUpdate() throws Exception {
    try (Server server = Server.start(new ResourceServlet(), guard("20s"), new AtomicInteger())) {
      LostUpdateDrill.Report report = LostUpdateDrill.across(List.of(server.uri("/r/counter")))
          .clients(32).incrementsEach(4).run();
      assertThat(report.successes()).isEqualTo(32 * 4);
      assertThat(report.lostUpdates()).isZero();
      assertThat(report.finalValue()).isEqualTo(32 * 4);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /** The filter as web.xml makes it: options as init-params, the engine from them. */
  private static ETagGuardFilter guard(String permitTimeout) {
    return new ETagGuardFilter(GuardSettings.fromOptions(java.util.Map.of("guardedPaths", "/*", "permitTimeout", permitTimeout)));
  }

  /** A PUT with {@code If-Match: *}; the first, {@code "first"}, with {@code If-None-Match: *}. */
  private static CompletableFuture<HttpResponse<String>> put(HttpClient client, URI uri, String body) {
    return client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .header("first".equals(body) ? "If-None-Match" : "If-Match", "*").PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Tomcat on {@value #THREADS} threads, its root webapp with three filters, each mapped for
   * REQUEST dispatches only: one counting the writes it saw, the guard, and
   * {@link QueuedWriteServlet#marking()}; then the servlet.
   */
  private record Server(Tomcat tomcat, Path dir, URI base, ETagGuardFilter filter) implements AutoCloseable {
    static Server start(Servlet servlet, ETagGuardFilter guard, AtomicInteger before) throws Exception {
      Path dir = Files.createTempDirectory("etag-guard-filter-wait");
      Tomcat tomcat = new Tomcat();
      tomcat.setBaseDir(dir.toString());
      Connector connector = new Connector();
      connector.setPort(0);
      connector.setProperty("address", "127.0.0.1");
      connector.setProperty("maxThreads", Integer.toString(THREADS));
      connector.setProperty("minSpareThreads", Integer.toString(THREADS));
      tomcat.getService().addConnector(connector);
      tomcat.setConnector(connector);
      Context context = tomcat.addContext("", dir.toString());
      org.apache.catalina.Wrapper wrapper = Tomcat.addServlet(context, "app", servlet);
      wrapper.setAsyncSupported(true);
      wrapper.addMapping("/*");
      addRequestFilter(context, "before", (request, response, chain) -> {
        if ("PUT".equals(((HttpServletRequest) request).getMethod())) {
          before.incrementAndGet();
        }
        chain.doFilter(request, response);
      });
      addRequestFilter(context, "etagGuard", guard);
      addRequestFilter(context, "marking", QueuedWriteServlet.marking());
      tomcat.start();
      return new Server(tomcat, dir, URI.create("http://127.0.0.1:" + connector.getLocalPort()), guard);
    }

    GuardEngine engine() {
      return java.util.Objects.requireNonNull(filter.engine());
    }

    URI uri(String path) {
      return base.resolve(path);
    }

    @Override
    public void close() throws LifecycleException {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  private static void addRequestFilter(Context context, String name, Filter filter) {
    FilterDef def = new FilterDef();
    def.setFilterName(name);
    def.setFilter(filter);
    def.setAsyncSupported("true");
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName(name);
    map.addURLPattern("/*");
    map.setDispatcher(DispatcherType.REQUEST.name());
    context.addFilterMap(map);
  }
}
