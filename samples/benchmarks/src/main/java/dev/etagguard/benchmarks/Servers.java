package dev.etagguard.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.samples.wiki.WikiServlet;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.tomcat.ETagGuardValve;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;

import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.jspecify.annotations.Nullable;
import org.springframework.web.filter.ShallowEtagHeaderFilter;

/** The wiki servlet on embedded Jetty or Tomcat, bare or behind one filter or guard adapter, on 127.0.0.1. */
final class Servers {

  private Servers() {
  }

  /** What sits in front of the servlet. */
  enum Mode {
    BARE, SPRING, GUARD,
    /** A filter that only calls the chain: what any servlet filter costs at least (opt-in: {@code --modes}). */
    FILTER,
    /**
     * ETag Guard as the server's own adapter, with the settings of {@code guard}: the Jetty core
     * {@code ETagGuardHandler} in front of the servlet context, the {@code ETagGuardValve} in the
     * Tomcat context's pipeline (opt-in: {@code --modes}).
     */
    NATIVE,
    /**
     * The filter of {@code guard} with Redis as its shared store (a Redis 7 started from a Maven
     * artifact, on loopback), for the cost of sharing against the in-process store (opt-in:
     * {@code --modes}).
     */
    REDIS,
    /** The same with PostgreSQL (17, from a Maven artifact, on loopback) as the shared store (opt-in). */
    POSTGRES;

    /** Whether ETag Guard answers in this mode (its rows get the guard's ratio columns). */
    boolean guarded() {
      return this == GUARD || this == NATIVE || this == REDIS || this == POSTGRES;
    }

    @Nullable Filter filter() {
      return switch (this) {
        case BARE, NATIVE -> null;
        case SPRING -> new ShallowEtagHeaderFilter();
        case FILTER -> (request, response, chain) -> chain.doFilter(request, response);
        case GUARD -> new ETagGuardFilter(settings());
        case REDIS -> new ETagGuardFilter(SharedStores.redisEngine(settingsBuilder()));
        case POSTGRES -> new ETagGuardFilter(SharedStores.postgresEngine(settingsBuilder()));
      };
    }

    static GuardSettings settings() {
      return settingsBuilder().build();
    }

    static GuardSettings.Builder settingsBuilder() {
      return GuardSettings.builder().guardedPaths("/articles/*").authoritativePaths("/slow/*, /store/*");
    }

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The wiki servlet with a handler that costs 1 ms per request (waiting, as for a database or a
   * remote call), for the scenario of the option {@code authoritativePaths}.
   */
  static final class SlowServlet extends WikiServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(jakarta.servlet.http.HttpServletRequest request,
        jakarta.servlet.http.HttpServletResponse response) throws IOException {
      long end = System.nanoTime() + 1_000_000;
      for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
        java.util.concurrent.locks.LockSupport.parkNanos(left);
      }
      super.service(request, response);
    }
  }

  /** A running server: its port, and how to stop it. */
  record Running(int port, Stopper stopper) {
    void stop() throws Exception {
      stopper.stop();
    }
  }

  /** Stops a server. */
  @FunctionalInterface
  interface Stopper {
    void stop() throws Exception;
  }

  static Running jetty(Mode mode) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder("wiki", new WikiServlet()), "/articles/*");
    context.addServlet(new ServletHolder("store", new WikiServlet()), "/store/*");
    context.addServlet(new ServletHolder("slow", new SlowServlet()), "/slow/*");
    Filter filter = mode.filter();
    if (filter != null) {
      context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    }
    if (mode == Mode.NATIVE) {
      ETagGuardHandler guard = new ETagGuardHandler(Mode.settings());
      guard.setHandler(context);
      server.setHandler(guard);
    } else {
      server.setHandler(context);
    }
    server.start();
    return new Running(connector.getLocalPort(), server::stop);
  }

  static Running tomcat(Mode mode) throws Exception {
    Path base = Files.createTempDirectory("etag-guard-bench-tomcat");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    connector.setProperty("maxKeepAliveRequests", "-1"); // the default 100 would close the load connections
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", base.toString());
    Tomcat.addServlet(context, "wiki", new WikiServlet());
    context.addServletMappingDecoded("/articles/*", "wiki");
    Tomcat.addServlet(context, "store", new WikiServlet());
    context.addServletMappingDecoded("/store/*", "store");
    Tomcat.addServlet(context, "slow", new SlowServlet());
    context.addServletMappingDecoded("/slow/*", "slow");
    Filter filter = mode.filter();
    if (filter != null) {
      FilterDef def = new FilterDef();
      def.setFilterName("filter");
      def.setFilter(filter);
      def.setAsyncSupported("true");
      context.addFilterDef(def);
      FilterMap map = new FilterMap();
      map.setFilterName("filter");
      map.addURLPattern("/*");
      map.setDispatcher(DispatcherType.REQUEST.name());
      map.setDispatcher(DispatcherType.ASYNC.name());
      context.addFilterMap(map);
    }
    if (mode == Mode.NATIVE) {
      context.getPipeline().addValve(new ETagGuardValve(Mode.settings()));
    }
    tomcat.start();
    return new Running(connector.getLocalPort(), () -> {
      tomcat.stop();
      tomcat.destroy();
      deleteQuietly(base);
    });
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; nothing to do
    }
  }
}
