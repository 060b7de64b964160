package dev.etagguard.testing;

import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import dev.etagguard.servlet.ETagGuardFilter;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Servlet;

import org.apache.catalina.Context;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.IntrospectionUtils;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A shared store configured by options alone, on every route a server administrator takes: the
 * filter with web.xml init-params on Tomcat and on Jetty, the Tomcat valve with {@code server.xml}
 * attributes (made and set as Tomcat's digester does: by class name, then
 * {@code IntrospectionUtils.setProperty}) and the Jetty handler with {@code setOption} (as the
 * jetty-home module's {@code etc/etag-guard.xml} calls it). The valve and handler classes are
 * loaded by name, so a cluster module's tests run this suite with {@code etag-guard-tomcat} and
 * {@code etag-guard-jetty} on their test class path. Subclasses give the store's options and its
 * server; each test class starts one server for all its tests.
 */
public abstract class SharedStoreRoutes {

  /** The ways an administrator installs the guard. */
  public enum Route {
    /** {@code ETagGuardFilter} in web.xml, on Tomcat. */
    TOMCAT_FILTER,
    /** {@code ETagGuardFilter} in web.xml, on Jetty. */
    JETTY_FILTER,
    /** {@code ETagGuardValve} in server.xml. */
    TOMCAT_VALVE,
    /** {@code ETagGuardHandler}, as the jetty-home module installs it. */
    JETTY_HANDLER
  }

  /** The store's options for an instance on {@code route}: {@code sharedStore} and what it reads. */
  protected abstract Map<String, String> storeOptions(Route route);

  /** Options of the store that make it refuse to start, each with a part of the message it must give. */
  protected abstract Map<Map<String, String>, String> misconfigurations(Route route);

  /** The routes this store runs on; every route by default. */
  protected java.util.Set<Route> routes() {
    return EnumSet.allOf(Route.class);
  }

  /** Stops the store's server. */
  protected abstract void stopStore() throws Exception;

  /** Starts the store's server again, on the same port. */
  protected abstract void startStore() throws Exception;

  /** Prepares the JVM for an embedded Jetty on {@code route} before it starts (JNDI names); nothing by default. */
  protected void prepare(Route route) throws Exception {
  }

  /** Prepares an embedded Tomcat's webapp before it starts (JNDI resources); nothing by default. */
  protected void prepare(Tomcat tomcat, Context context) throws Exception {
  }

  private final List<AutoCloseable> closeables = new ArrayList<>();
  /** A namespace of this test's own in the store, so tests and runs never share a resource. */
  protected final String namespace = "r" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);

  @AfterEach
  void closeInstances() throws Exception {
    Collections.reverse(closeables);
    for (AutoCloseable c : closeables) {
      c.close();
    }
    closeables.clear();
  }

  /** One instance per route, in front of one storage, the store's options plus {@code extra}. */
  private List<ServerUnderTest> everyRoute(FencedStorage storage, Map<String, String> extra) throws Exception {
    List<ServerUnderTest> servers = new ArrayList<>();
    for (Route route : routes()) {
      Map<String, String> options = new LinkedHashMap<>(storeOptions(route));
      options.putAll(extra);
      servers.add(start(route, storage.servlet(), options));
    }
    return servers;
  }

  @Test
  void everyRouteSharesTheStoreAndLosesNoUpdate() throws Exception {
    FencedStorage storage = new FencedStorage();
    List<ServerUnderTest> servers = everyRoute(storage, Map.of("guardedPaths", "/*", "permitTimeout", "10s"));
    List<URI> counter = servers.stream().map(s -> s.uri("/" + namespace + "/counter")).toList();
    LostUpdateDrill.Report report = LostUpdateDrill.across(counter).clients(6).incrementsEach(5).run();
    System.out.println(getClass().getSimpleName() + " every route: " + report);
    assertThat(report.lostUpdates()).isZero();
    assertThat(report.conflicts()).isZero();
    assertThat(storage.refused()).as("fenced writes refused: no permit was lost").isZero();
  }

  @Test
  void aStoreThatCannotBeReachedAtStartAnswers503UntilItIsBack() throws Exception {
    FencedStorage storage = new FencedStorage();
    List<ServerUnderTest> servers;
    stopStore();
    try {
      servers = everyRoute(storage, Map.of("permitTimeout", "2s"));
      for (ServerUnderTest server : servers) {
        assertThat(put(server.uri("/" + namespace + "/down"), "x", "If-None-Match", "*").statusCode())
            .as("a write on %s while the store is down", server).isEqualTo(503);
      }
    } finally {
      startStore();
    }
    int i = 0;
    for (ServerUnderTest server : servers) {
      URI doc = server.uri("/" + namespace + "/up" + i++);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int status;
      do {
        status = put(doc, "x", "If-None-Match", "*").statusCode();
        if (status == 503) {
          Thread.sleep(200);
        }
      } while (status == 503 && System.nanoTime() < deadline);
      assertThat(status).as("a write on %s once the store is back", server).isEqualTo(201);
    }
  }

  @Test
  void aMisconfiguredStoreFailsTheStartNamingWhatIsWrong() throws Exception {
    for (Route route : routes()) {
      Map<Map<String, String>, String> cases = new LinkedHashMap<>(misconfigurations(route));
      cases.put(Map.of("sharedStore", "memcached"), "Invalid value 'memcached' for ETag Guard option 'sharedStore'");
      for (Map.Entry<Map<String, String>, String> c : cases.entrySet()) {
        Map<String, String> options = new LinkedHashMap<>(storeOptions(route));
        options.putAll(c.getKey());
        Throwable failure = null;
        try {
          start(route, new FencedStorage().servlet(), options);
        } catch (Exception e) {
          failure = e;
        }
        assertThat(failure).as("%s with %s", route, c.getKey()).isNotNull();
        assertThat(messages(failure)).as("%s with %s", route, c.getKey()).contains(c.getValue());
      }
    }
  }

  /** The messages of a failure and its causes, one per line. */
  private static String messages(Throwable failure) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      b.append(t).append('\n');
    }
    return b.toString();
  }

  /** Starts one instance on {@code route}, configured by {@code options}; closed after the test. */
  protected ServerUnderTest start(Route route, Servlet servlet, Map<String, String> options) throws Exception {
    ServerUnderTest server = switch (route) {
      case TOMCAT_FILTER, TOMCAT_VALVE -> tomcat(route, servlet, options);
      case JETTY_FILTER, JETTY_HANDLER -> jetty(route, servlet, options);
    };
    closeables.add(server);
    return server;
  }

  private ServerUnderTest tomcat(Route route, Servlet servlet, Map<String, String> options) throws Exception {
    Path dir = Files.createTempDirectory("etag-guard-tomcat");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(dir.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", dir.toString());
    org.apache.catalina.Wrapper wrapper = Tomcat.addServlet(context, "app", servlet);
    wrapper.setAsyncSupported(true);
    wrapper.addMapping("/*");
    if (route == Route.TOMCAT_FILTER) {
      FilterDef def = new FilterDef();
      def.setFilterName("etagGuard");
      def.setFilterClass(ETagGuardFilter.class.getName());
      def.setAsyncSupported("true");
      options.forEach(def::addInitParameter);
      context.addFilterDef(def);
      FilterMap map = new FilterMap();
      map.setFilterName("etagGuard");
      map.addURLPattern("/*");
      map.setDispatcher(DispatcherType.REQUEST.name());
      map.setDispatcher(DispatcherType.ASYNC.name());
      context.addFilterMap(map);
    } else {
      Valve valve = (Valve) Class.forName("dev.etagguard.tomcat.ETagGuardValve").getConstructor().newInstance();
      options.forEach((name, value) -> IntrospectionUtils.setProperty(valve, name, value));
      tomcat.getHost().getPipeline().addValve(valve);
    }
    prepare(tomcat, context);
    AutoCloseable stop = () -> {
      tomcat.stop();
      tomcat.destroy();
    };
    // What Tomcat logs while it starts: a filter that fails its init is logged, not thrown.
    List<String> logged = Collections.synchronizedList(new ArrayList<>());
    java.util.logging.Logger catalina = java.util.logging.Logger.getLogger("org.apache.catalina");
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord record) {
        if (record.getThrown() != null) {
          logged.add(messages(record.getThrown()));
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    catalina.addHandler(capture);
    try {
      tomcat.start();
      if (!context.getState().isAvailable()) {
        throw new IllegalStateException("the webapp did not start (" + context.getState() + "); Tomcat logged:\n"
            + String.join("\n", logged));
      }
    } catch (Exception e) {
      stop.close();
      throw e;
    } finally {
      catalina.removeHandler(capture);
    }
    URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    return server(route, base, stop);
  }

  private ServerUnderTest jetty(Route route, Servlet servlet, Map<String, String> options) throws Exception {
    prepare(route);
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder holder = new ServletHolder(servlet);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/*");
    if (route == Route.JETTY_FILTER) {
      FilterHolder filter = new FilterHolder(ETagGuardFilter.class);
      filter.setAsyncSupported(true);
      filter.setInitParameters(options);
      context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
      server.setHandler(context);
    } else {
      Handler.Wrapper guard = (Handler.Wrapper) Class.forName("dev.etagguard.jetty.ETagGuardHandler")
          .getConstructor().newInstance();
      var setOption = guard.getClass().getMethod("setOption", String.class, String.class);
      for (Map.Entry<String, String> option : options.entrySet()) {
        setOption.invoke(guard, option.getKey(), option.getValue());
      }
      guard.setHandler(context);
      server.setHandler(guard);
    }
    try {
      server.start();
    } catch (Exception e) {
      server.stop();
      throw e;
    }
    URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    return server(route, base, server::stop);
  }

  private static ServerUnderTest server(Route route, URI base, AutoCloseable stop) {
    return EmbeddedServer.of(route.toString(), base, stop);
  }
}
