package dev.etagguard.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.QueuedWriteServlet;
import dev.etagguard.testing.ResourceServlet;

import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
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
      servlet.queueWrites(server.engine().sequencer(), server::uri, QUEUED, true);
      assertThat(before).as("the filter before the guard: once per write, again per resumed one").hasValue(1 + 2 * QUEUED);
    }
  }

  /** On Jetty, with every filter mapped for ASYNC dispatches as for REQUEST ones: resumed by an ASYNC dispatch. */
  @Test
  void onJettyQueuedWritesHoldNoThreadWhenEveryFilterRunsOnAsync() throws Exception {
    QueuedWriteServlet servlet = new QueuedWriteServlet();
    try (Server server = Server.jetty(servlet, guard("20s"), new AtomicInteger(), 8,
        EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC))) {
      servlet.queueWrites(server.engine().sequencer(), server::uri, QUEUED, true);
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
      servlet.queueWrites(server.engine().sequencer(), server::uri, QUEUED, false);
    }
  }

  /** A write whose permit does not come in time is answered 503 by the guard; its handler never runs. */
  @Test
  void aWriteRefusedItsTurnIsAnsweredWithoutItsHandler() throws Exception {
    QueuedWriteServlet servlet = new QueuedWriteServlet();
    try (Server server = Server.tomcat(servlet, guard("1s"), new AtomicInteger())) {
      servlet.refuseQueued(server.engine().sequencer(), server::uri, QUEUED);
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

  /** A server under test and its guard. */
  private record Server(EmbeddedServer server, ETagGuardFilter filter) implements AutoCloseable {

    GuardEngine engine() {
      return java.util.Objects.requireNonNull(filter.engine());
    }

    URI uri(String path) {
      return server.uri(path);
    }

    @Override
    public void close() {
      server.close();
    }

    /**
     * Tomcat on 4 threads, its root webapp with three filters, each mapped for
     * REQUEST dispatches only: one counting the writes it saw, the guard, and
     * {@link QueuedWriteServlet#marking()}; then the servlet.
     */
    static Server tomcat(Servlet servlet, ETagGuardFilter guard, AtomicInteger before) throws Exception {
      return new Server(EmbeddedServer.tomcat(THREADS, context -> {
        org.apache.catalina.Wrapper wrapper = Tomcat.addServlet(context, "app", servlet);
        wrapper.setAsyncSupported(true);
        wrapper.addMapping("/*");
        EmbeddedServer.addFilter(context, "before", counting(before), DispatcherType.REQUEST);
        EmbeddedServer.addFilter(context, "etagGuard", guard, DispatcherType.REQUEST);
        EmbeddedServer.addFilter(context, "marking", QueuedWriteServlet.marking(), DispatcherType.REQUEST);
      }), guard);
    }

    /**
     * Jetty (ee11), its root context with the same three filters, mapped for {@code dispatches},
     * on {@code threads} threads ({@code 0}: Jetty's default pool).
     */
    static Server jetty(Servlet servlet, ETagGuardFilter guard, AtomicInteger before, int threads,
        EnumSet<DispatcherType> dispatches) throws Exception {
      return new Server(EmbeddedServer.jetty(threads, context -> {
        ServletHolder holder = new ServletHolder(servlet);
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/*");
        for (Filter filter : List.of(counting(before), guard, QueuedWriteServlet.marking())) {
          EmbeddedServer.addFilter(context, filter, "/*", dispatches);
        }
      }), guard);
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
}
