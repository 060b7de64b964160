package dev.etagguard.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.WaitProbe;

import org.eclipse.jetty.ee11.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Probes of the {@code web.xml} filter's waiting without a thread, on Tomcat and on Jetty
 * (every filter mapped for REQUEST and ASYNC): each handler behaviour answers the same whether its
 * request waited for its permit or not; a refusal racing the original dispatch's unwinding.
 */
class FilterPermitWaitProbeTest {

  static final List<String> MODES = WaitProbe.MODES;

  @ParameterizedTest
  @FieldSource("MODES")
  void onTomcatAQueuedHandlerAnswersAsOneThatDidNotWait(String mode) throws Exception {
    WaitProbe.Handler handler = new WaitProbe.Handler();
    ETagGuardFilter guard = guard("20s");
    try (EmbeddedServer server = tomcat(handler, guard, null)) {
      WaitProbe.assertSame(handler, new WaitProbe.Client(server.base(), null), guard.engine().sequencer(), mode);
    }
  }

  @ParameterizedTest
  @FieldSource("MODES")
  void onJettyAQueuedHandlerAnswersAsOneThatDidNotWait(String mode) throws Exception {
    WaitProbe.Handler handler = new WaitProbe.Handler();
    ETagGuardFilter guard = guard("20s");
    try (EmbeddedServer server = jetty(handler, guard)) {
      WaitProbe.assertSame(handler, new WaitProbe.Client(server.base(), null), guard.engine().sequencer(), mode);
    }
  }

  /**
   * A permit refused (permitTimeout) while the thread of the request's own dispatch is still in
   * a filter before the guard: the guard's 503 and the filter's unwinding race on one response.
   * The write is answered 503 whole, its handler never runs, and the filter's header, set after
   * the chain returned, is either there or not but the response is not broken.
   */
  @Test
  void onTomcatARefusalWhileTheOriginalDispatchUnwindsAnswers503() throws Exception {
    WaitProbe.Handler handler = new WaitProbe.Handler();
    ETagGuardFilter guard = guard("300ms");
    Filter slowUnwinding = (request, response, chain) -> {
      chain.doFilter(request, response);
      if (request.getDispatcherType() == DispatcherType.REQUEST && request.isAsyncStarted()) {
        try {
          Thread.sleep(1_000); // the permit times out meanwhile
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    try (EmbeddedServer server = tomcat(handler, guard, slowUnwinding)) {
      WaitProbe.Client client = new WaitProbe.Client(server.base(), null);
      CountDownLatch hold = handler.holds.computeIfAbsent("/race", p -> new CountDownLatch(1));
      CompletableFuture<HttpResponse<String>> first = client.send("/p/race", "hold", "If-None-Match", "v0");
      assertThat(Permits.awaitHeld(guard.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      List<CompletableFuture<HttpResponse<String>>> refused = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        refused.add(client.send("/p/race", "plain", "If-Match", "late" + i));
      }
      for (CompletableFuture<HttpResponse<String>> r : refused) {
        HttpResponse<String> answer = r.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.body()).contains("\"status\":503");
      }
      assertThat(WaitProbe.runs(handler, "/race", "plain")).isZero();
      hold.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(Permits.awaitHeld(guard.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  /**
   * On Jetty, a filter for REQUEST dispatches only added after the guard started (the guard read
   * the mappings as it started, when every filter also ran on ASYNC): a queued write must still
   * run through it.
   */
  @Test
  void onJettyARequestFilterAddedLaterStillRunsForQueuedWrites() throws Exception {
    dev.etagguard.testing.QueuedWriteServlet servlet = new dev.etagguard.testing.QueuedWriteServlet();
    ETagGuardFilter guard = guard("20s");
    ServletContextHandler[] root = new ServletContextHandler[1];
    EmbeddedServer server = EmbeddedServer.jetty(8, context -> {
      root[0] = context;
      ServletHolder holder = new ServletHolder(servlet);
      holder.setAsyncSupported(true);
      context.addServlet(holder, "/*");
      EmbeddedServer.addFilter(context, guard, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    });
    try (server) {
      EmbeddedServer.addFilter(root[0], dev.etagguard.testing.QueuedWriteServlet.marking(), "/*", EnumSet.of(DispatcherType.REQUEST));
      URI base = server.base();
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      CompletableFuture<HttpResponse<String>> first = client.sendAsync(java.net.http.HttpRequest.newBuilder(base.resolve("/p/k"))
          .header("If-None-Match", "*").PUT(java.net.http.HttpRequest.BodyPublishers.ofString("first")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(Permits.awaitHeld(guard.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      CompletableFuture<HttpResponse<String>> queued = client.sendAsync(java.net.http.HttpRequest.newBuilder(base.resolve("/p/k"))
          .header("If-Match", "*").PUT(java.net.http.HttpRequest.BodyPublishers.ofString("second")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(Permits.awaitWaiting(guard.engine().sequencer(), 1, Duration.ofSeconds(10))).isEqualTo(1);
      servlet.release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      assertThat(queued.get(30, TimeUnit.SECONDS).statusCode()).as("the queued write went through the REQUEST filter").isEqualTo(204);
      assertThat(Permits.awaitHeld(guard.engine().sequencer(), 0, Duration.ofSeconds(5))).isZero();
    }
  }

  private static ETagGuardFilter guard(String permitTimeout) {
    return new ETagGuardFilter(GuardSettings.fromOptions(Map.of("guardedPaths", "/p/*", "permitTimeout", permitTimeout)));
  }

  /** Tomcat on 4 threads: {@code before} (if any), the guard, each for REQUEST only; the probe's servlets and error pages. */
  private static EmbeddedServer tomcat(WaitProbe.Handler handler, ETagGuardFilter guard, Filter before) throws Exception {
    return EmbeddedServer.tomcat(4, context -> {
      WaitProbe.onTomcat(context, handler);
      if (before != null) {
        EmbeddedServer.addFilter(context, "before", before, DispatcherType.REQUEST);
      }
      EmbeddedServer.addFilter(context, "etagGuard", guard, DispatcherType.REQUEST);
    });
  }

  /** Jetty ee11 on 8 threads, the guard for REQUEST and ASYNC, error pages as on Tomcat. */
  private static EmbeddedServer jetty(WaitProbe.Handler handler, ETagGuardFilter guard) throws Exception {
    return EmbeddedServer.jetty(8, context -> {
      for (Object[] s : List.<Object[]>of(new Object[] {handler, "/p/*"}, new Object[] {new WaitProbe.Target(), "/target"},
          new Object[] {new WaitProbe.ErrorPage(), "/error"})) {
        ServletHolder holder = new ServletHolder((jakarta.servlet.Servlet) s[0]);
        holder.setAsyncSupported(true);
        context.addServlet(holder, (String) s[1]);
      }
      ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
      errors.addErrorPage(409, "/error");
      errors.addErrorPage(IllegalStateException.class, "/error");
      context.setErrorHandler(errors);
      EmbeddedServer.addFilter(context, WaitProbe.dispatchFilter(), "/target", EnumSet.of(DispatcherType.FORWARD, DispatcherType.INCLUDE));
      EmbeddedServer.addFilter(context, guard, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    });
  }
}
