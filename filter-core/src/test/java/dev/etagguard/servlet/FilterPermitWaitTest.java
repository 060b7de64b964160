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
import java.util.EnumSet;
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
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;

/**
 * The {@code web.xml} filter on Tomcat, and on Jetty where its filters allow it: requests waiting
 * for their resource's permit hold no container thread (issue 18). Tomcat runs {@value #THREADS} request threads; a dozen writes queue
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
    try (Server server = Server.tomcat(servlet, guard("20s"), before)) {
      queueWrites(servlet, server, true);
      assertThat(before).as("the filter before the guard: once per write, again per resumed one").hasValue(1 + 2 * QUEUED);
    }
  }

  /**
   * A dozen writes queued behind a slow one, their handlers answering at once, asynchronously or
   * by a dispatch; with {@code threadsFree}, another request is answered while they wait.
   */
  private static void queueWrites(QueuedWriteServlet servlet, Server server, boolean threadsFree) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<CompletableFuture<HttpResponse<String>>> writes = new ArrayList<>();
    writes.add(put(client, server.uri("/w/slow"), "first"));
    assertThat(Permits.awaitHeld(server.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
    for (int i = 0; i < QUEUED; i++) {
      writes.add(put(client, server.uri("/w/slow" + (i % 3 == 0 ? "" : i % 3 == 1 ? "?async" : "?dispatch")), "w" + i));
    }
    assertThat(Permits.awaitWaiting(server.engine().sequencer(), QUEUED, Duration.ofSeconds(10)))
        .as("writes waiting for the permit").isEqualTo(QUEUED);
    if (threadsFree) {
      HttpResponse<String> other = client.send(HttpRequest.newBuilder(server.uri("/other"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).as("answered while %d writes wait", QUEUED).isEqualTo(200);
    }
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
    assertThat(servlet.asyncAttributes).as("writes that saw an ASYNC dispatch's attributes").hasValue(0);
    assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
  }

  /** On Jetty, with every filter mapped for ASYNC dispatches as for REQUEST ones: resumed by an ASYNC dispatch. */
  @Test
  void onJettyQueuedWritesHoldNoThreadWhenEveryFilterRunsOnAsync() throws Exception {
    QueuedWriteServlet servlet = new QueuedWriteServlet();
    try (Server server = Server.jetty(servlet, guard("20s"), new AtomicInteger(), 8,
        EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC))) {
      queueWrites(servlet, server, true);
    }
  }

  /**
   * On Jetty, with a filter mapped for REQUEST dispatches only, an ASYNC dispatch would skip it:
   * waiting requests keep their thread, and every write still runs through it.
   */
  @Test
  void onJettyARequestOnlyFilterKeepsWaitingRequestsOnTheirThread() throws Exception {
    QueuedWriteServlet servlet = new QueuedWriteServlet();
    try (Server server = Server.jetty(servlet, guard("20s"), new AtomicInteger(), 0, EnumSet.of(DispatcherType.REQUEST))) {
      queueWrites(servlet, server, false);
    }
  }

  /** A write whose permit does not come in time is answered 503 by the guard; its handler never runs. */
  @Test
  void aWriteRefusedItsTurnIsAnsweredWithoutItsHandler() throws Exception {
    QueuedWriteServlet servlet = new QueuedWriteServlet();
    try (Server server = Server.tomcat(servlet, guard("1s"), new AtomicInteger())) {
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
    try (Server server = Server.tomcat(new ResourceServlet(), guard("20s"), new AtomicInteger())) {
      drill(server);
    }
  }

  /** The same on Jetty's 8 threads, resumed by ASYNC dispatches. */
  @Test
  void onJettySuspendedWritersLoseNoUpdate() throws Exception {
    try (Server server = Server.jetty(new ResourceServlet(), guard("20s"), new AtomicInteger(), 8,
        EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC))) {
      drill(server);
    }
  }

  private static void drill(Server server) throws Exception {
    LostUpdateDrill.Report report = LostUpdateDrill.across(List.of(server.uri("/r/counter")))
        .clients(32).incrementsEach(4).run();
    assertThat(report.successes()).isEqualTo(32 * 4);
    assertThat(report.lostUpdates()).isZero();
    assertThat(report.finalValue()).isEqualTo(32 * 4);
    assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
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

  /** A server under test: the guard's engine, its address, stopped on close. */
  private interface Server extends AutoCloseable {
    @Override
    void close();

    ETagGuardFilter filter();

    URI base();

    default GuardEngine engine() {
      return java.util.Objects.requireNonNull(filter().engine());
    }

    default URI uri(String path) {
      return base().resolve(path);
    }

    /**
     * Tomcat on {@value #THREADS} threads, its root webapp with three filters, each mapped for
     * REQUEST dispatches only: one counting the writes it saw, the guard, and
     * {@link QueuedWriteServlet#marking()}; then the servlet.
     */
    static Server tomcat(Servlet servlet, ETagGuardFilter guard, AtomicInteger before) throws Exception {
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
      addRequestFilter(context, "before", counting(before));
      addRequestFilter(context, "etagGuard", guard);
      addRequestFilter(context, "marking", QueuedWriteServlet.marking());
      tomcat.start();
      URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
      return new Server() {
        @Override
        public ETagGuardFilter filter() {
          return guard;
        }

        @Override
        public URI base() {
          return base;
        }

        @Override
        public void close() {
          try {
            tomcat.stop();
            tomcat.destroy();
          } catch (LifecycleException e) {
            throw new IllegalStateException(e);
          }
        }
      };
    }

    /**
     * Jetty (ee11), its root context with the same three filters, mapped for {@code dispatches},
     * on {@code threads} threads ({@code 0}: Jetty's default pool).
     */
    static Server jetty(Servlet servlet, ETagGuardFilter guard, AtomicInteger before, int threads,
        EnumSet<DispatcherType> dispatches) throws Exception {
      org.eclipse.jetty.server.Server server = threads > 0
          ? new org.eclipse.jetty.server.Server(new QueuedThreadPool(threads, threads))
          : new org.eclipse.jetty.server.Server();
      ServerConnector connector = new ServerConnector(server, 1, 1);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      ServletContextHandler context = new ServletContextHandler();
      context.setContextPath("/");
      ServletHolder holder = new ServletHolder(servlet);
      holder.setAsyncSupported(true);
      context.addServlet(holder, "/*");
      for (Filter filter : List.of(counting(before), guard, QueuedWriteServlet.marking())) {
        FilterHolder filterHolder = new FilterHolder(filter);
        filterHolder.setAsyncSupported(true);
        context.addFilter(filterHolder, "/*", dispatches);
      }
      server.setHandler(context);
      server.start();
      URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
      return new Server() {
        @Override
        public ETagGuardFilter filter() {
          return guard;
        }

        @Override
        public URI base() {
          return base;
        }

        @Override
        public void close() {
          try {
            server.stop();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      };
    }
  }

  /** Counts the PUTs it sees in their REQUEST dispatches. */
  private static Filter counting(AtomicInteger count) {
    return (request, response, chain) -> {
      if ("PUT".equals(((HttpServletRequest) request).getMethod()) && request.getDispatcherType() == DispatcherType.REQUEST) {
        count.incrementAndGet();
      }
      chain.doFilter(request, response);
    };
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
