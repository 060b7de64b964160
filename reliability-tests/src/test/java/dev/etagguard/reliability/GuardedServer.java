package dev.etagguard.reliability;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Servlet;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.tomcat.ETagGuardValve;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ErrorPage;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee11.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.compression.gzip.GzipCompression;
import org.eclipse.jetty.compression.server.CompressionHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * One servlet at {@code /*} of the root webapp, guarded by a given {@link GuardEngine} through one
 * of the four adapters, on a real server bound to a free loopback port. Every reliability test
 * runs against each {@link Adapter}; the engine is the test's handle on the guard's state
 * ({@code engine.sequencer().heldPermits()}, the store).
 */
final class GuardedServer implements AutoCloseable {

  /** The four ways ETag Guard is installed. */
  enum Adapter {
    /** {@link ETagGuardFilter} in the webapp, on embedded Tomcat. */
    FILTER_TOMCAT,
    /** {@link ETagGuardFilter} in the webapp, on embedded Jetty (ee11). */
    FILTER_JETTY,
    /** {@link ETagGuardHandler} (Jetty core API) in front of the Jetty servlet context. */
    JETTY_HANDLER,
    /** {@link ETagGuardValve} in the Tomcat Host's pipeline. */
    TOMCAT_VALVE;

    boolean tomcat() {
      return this == FILTER_TOMCAT || this == TOMCAT_VALVE;
    }
  }

  private final Adapter adapter;
  private final GuardEngine engine;
  private final URI base;
  private final Stopper stopper;

  private GuardedServer(Adapter adapter, GuardEngine engine, URI base, Stopper stopper) {
    this.adapter = adapter;
    this.engine = engine;
    this.base = base;
    this.stopper = stopper;
  }

  /** Starts {@code servlet} behind a fresh engine with {@code settings}. */
  static GuardedServer start(Adapter adapter, GuardSettings settings, Servlet servlet) throws Exception {
    return start(adapter, GuardEngine.create(settings), servlet, Map.of());
  }

  /**
   * Starts {@code servlet} behind {@code engine}.
   *
   * @param errorPages status code to the webapp path of its error page (served by the same servlet)
   */
  static GuardedServer start(Adapter adapter, GuardEngine engine, Servlet servlet, Map<Integer, String> errorPages)
      throws Exception {
    return start(adapter, engine, servlet, errorPages, false);
  }

  /**
   * Starts {@code servlet} behind {@code engine}, with the server's own response compression in
   * front of everything when {@code compression}: the Tomcat connector's {@code compression="on"},
   * or Jetty's {@code CompressionHandler} (gzip) as the outermost handler.
   */
  static GuardedServer start(Adapter adapter, GuardEngine engine, Servlet servlet, Map<Integer, String> errorPages,
      boolean compression) throws Exception {
    return start(adapter, engine, servlet, errorPages, compression, null);
  }

  /**
   * Starts {@code servlet} behind {@code engine}, with {@code before} as a webapp filter mapped
   * ahead of everything else (for the filter adapters: before the guard's filter; behind the
   * valve and the Jetty handler, which sit outside the webapp).
   */
  static GuardedServer start(Adapter adapter, GuardEngine engine, Servlet servlet, Map<Integer, String> errorPages,
      boolean compression, jakarta.servlet.Filter before) throws Exception {
    return start(adapter, engine, servlet, errorPages, compression, before, null);
  }

  /** The user of {@link #start} with {@code secured}: BASIC, password {@value #PASSWORD}, role {@code user}. */
  static final String USER = "bob";

  /** The password of {@link #USER}. */
  static final String PASSWORD = "secret";

  /**
   * Starts {@code servlet} behind {@code engine}; with {@code secured}, a servlet path pattern
   * that the container itself protects (a security constraint: BASIC authentication, role
   * {@code user}, the one user {@link #USER}), as web.xml's {@code <security-constraint>} does.
   */
  static GuardedServer start(Adapter adapter, GuardEngine engine, Servlet servlet, Map<Integer, String> errorPages,
      boolean compression, jakarta.servlet.Filter before, String secured) throws Exception {
    return start(adapter, engine, Webapp.of(servlet), errorPages, compression, before, secured);
  }

  /**
   * What a test deploys into the root webapp instead of one servlet of its own at {@code /*}: for
   * the handler corpus, the containers' own servlets with their init parameters and files.
   */
  interface Webapp {
    /** Deploys into embedded Tomcat's root context, whose document base is {@code docBase}. */
    void tomcat(Context context, Path docBase) throws Exception;

    /** Deploys into embedded Jetty's root (ee11) servlet context. */
    void jetty(ServletContextHandler context) throws Exception;

    /** One servlet at {@code /*}, asynchronous-capable. */
    static Webapp of(Servlet servlet) {
      return new Webapp() {
        @Override
        public void tomcat(Context context, Path docBase) {
          Wrapper wrapper = Tomcat.addServlet(context, "app", servlet);
          wrapper.setAsyncSupported(true);
          wrapper.addMapping("/*");
        }

        @Override
        public void jetty(ServletContextHandler context) {
          ServletHolder holder = new ServletHolder(servlet);
          holder.setAsyncSupported(true);
          context.addServlet(holder, "/*");
        }
      };
    }
  }

  /** Starts {@code webapp} behind {@code engine}. */
  static GuardedServer start(Adapter adapter, GuardEngine engine, Webapp webapp) throws Exception {
    return start(adapter, engine, webapp, Map.of(), false, null, null);
  }

  private static GuardedServer start(Adapter adapter, GuardEngine engine, Webapp webapp,
      Map<Integer, String> errorPages, boolean compression, jakarta.servlet.Filter before, String secured)
      throws Exception {
    return adapter.tomcat()
        ? tomcat(adapter, engine, webapp, errorPages, compression, before, secured)
        : jetty(adapter, engine, webapp, errorPages, compression, before, secured);
  }

  private static GuardedServer tomcat(Adapter adapter, GuardEngine engine, Webapp webapp,
      Map<Integer, String> errorPages, boolean compression, jakarta.servlet.Filter before, String secured)
      throws Exception {
    Path dir = Files.createTempDirectory("etag-guard-reliability");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(dir.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    connector.setThrowOnFailure(true);
    if (compression) {
      connector.setProperty("compression", "on");
      connector.setProperty("compressionMinSize", "16");
      connector.setProperty("compressibleMimeType", "text/plain,application/octet-stream");
    }
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    tomcat.getHost().setAutoDeploy(false);
    if (adapter == Adapter.TOMCAT_VALVE) {
      tomcat.getHost().getPipeline().addValve(new ETagGuardValve(engine.settings()) {
        @Override
        protected GuardEngine createEngine(Context context, GuardSettings settings) {
          return engine;
        }
      });
    }
    Path docBase = Files.createDirectories(dir.resolve("ROOT"));
    Context context = tomcat.addContext("", docBase.toString());
    webapp.tomcat(context, docBase);
    errorPages.forEach((code, location) -> {
      ErrorPage page = new ErrorPage();
      page.setErrorCode(code);
      page.setLocation(location);
      context.addErrorPage(page);
    });
    if (secured != null) {
      org.apache.tomcat.util.descriptor.web.LoginConfig login = new org.apache.tomcat.util.descriptor.web.LoginConfig();
      login.setAuthMethod("BASIC");
      login.setRealmName("test");
      context.setLoginConfig(login);
      org.apache.tomcat.util.descriptor.web.SecurityConstraint constraint =
          new org.apache.tomcat.util.descriptor.web.SecurityConstraint();
      constraint.addAuthRole("user");
      org.apache.tomcat.util.descriptor.web.SecurityCollection collection =
          new org.apache.tomcat.util.descriptor.web.SecurityCollection();
      collection.addPattern(secured);
      constraint.addCollection(collection);
      context.addConstraint(constraint);
      context.addSecurityRole("user");
      context.getPipeline().addValve(new org.apache.catalina.authenticator.BasicAuthenticator());
      tomcat.addUser(USER, PASSWORD);
      tomcat.addRole(USER, "user");
    }
    if (before != null) {
      FilterDef def = new FilterDef();
      def.setFilterName("before");
      def.setFilter(before);
      def.setAsyncSupported("true");
      context.addFilterDef(def);
      FilterMap map = new FilterMap();
      map.setFilterName("before");
      map.addURLPattern("/*");
      context.addFilterMap(map);
    }
    if (adapter == Adapter.FILTER_TOMCAT) {
      FilterDef def = new FilterDef();
      def.setFilterName("etagGuard");
      def.setFilter(new ETagGuardFilter(engine));
      def.setAsyncSupported("true");
      context.addFilterDef(def);
      FilterMap map = new FilterMap();
      map.setFilterName("etagGuard");
      map.addURLPattern("/*");
      for (DispatcherType type : List.of(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR)) {
        map.setDispatcher(type.name());
      }
      context.addFilterMap(map);
    }
    Stopper stopper = () -> stopTomcat(tomcat, dir);
    try {
      tomcat.start();
    } catch (LifecycleException | RuntimeException e) {
      stopper.stop();
      throw e;
    }
    return new GuardedServer(adapter, engine, URI.create("http://127.0.0.1:" + connector.getLocalPort()), stopper);
  }

  private static void stopTomcat(Tomcat tomcat, Path dir) throws LifecycleException {
    try {
      tomcat.stop();
      tomcat.destroy();
    } finally {
      // Embedded Tomcat records its base in system properties the next instance would adopt.
      for (String property : List.of("catalina.base", "catalina.home")) {
        String value = System.getProperty(property);
        if (value != null && Path.of(value).toAbsolutePath().startsWith(dir.toAbsolutePath())) {
          System.clearProperty(property);
        }
      }
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // A temporary directory left behind is harmless.
      }
    }
  }

  private static GuardedServer jetty(Adapter adapter, GuardEngine engine, Webapp webapp,
      Map<Integer, String> errorPages, boolean compression, jakarta.servlet.Filter before, String secured)
      throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    webapp.jetty(context);
    if (!errorPages.isEmpty()) {
      ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
      errorPages.forEach(errors::addErrorPage);
      context.setErrorHandler(errors);
    }
    if (secured != null) {
      org.eclipse.jetty.ee11.servlet.security.ConstraintSecurityHandler security =
          new org.eclipse.jetty.ee11.servlet.security.ConstraintSecurityHandler();
      org.eclipse.jetty.security.HashLoginService login = new org.eclipse.jetty.security.HashLoginService("test");
      org.eclipse.jetty.security.UserStore users = new org.eclipse.jetty.security.UserStore();
      users.addUser(USER, org.eclipse.jetty.util.security.Credential.getCredential(PASSWORD), new String[] {"user"});
      login.setUserStore(users);
      security.setLoginService(login);
      security.setAuthenticator(new org.eclipse.jetty.security.authentication.BasicAuthenticator());
      org.eclipse.jetty.ee11.servlet.security.ConstraintMapping mapping =
          new org.eclipse.jetty.ee11.servlet.security.ConstraintMapping();
      mapping.setPathSpec(secured);
      mapping.setConstraint(org.eclipse.jetty.security.Constraint.from("user"));
      security.addConstraintMapping(mapping);
      context.setSecurityHandler(security);
    }
    if (before != null) {
      FilterHolder first = new FilterHolder(before);
      first.setAsyncSupported(true);
      context.addFilter(first, "/*", EnumSet.of(DispatcherType.REQUEST));
    }
    if (adapter == Adapter.FILTER_JETTY) {
      FilterHolder filter = new FilterHolder(new ETagGuardFilter(engine));
      filter.setAsyncSupported(true);
      context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR));
      server.setHandler(compressed(context, compression));
    } else {
      ETagGuardHandler guard = new ETagGuardHandler(engine);
      guard.setHandler(context);
      server.setHandler(compressed(guard, compression));
    }
    try {
      server.start();
    } catch (Exception e) {
      server.stop();
      throw e;
    }
    return new GuardedServer(adapter, engine, URI.create("http://127.0.0.1:" + connector.getLocalPort()), server::stop);
  }

  private static Handler compressed(Handler handler, boolean compression) {
    if (!compression) {
      return handler;
    }
    CompressionHandler gzip = new CompressionHandler();
    GzipCompression compressionGzip = new GzipCompression();
    compressionGzip.setMinCompressSize(16);
    gzip.putCompression(compressionGzip);
    gzip.setHandler(handler);
    return gzip;
  }

  Adapter adapter() {
    return adapter;
  }

  GuardEngine engine() {
    return engine;
  }

  /** The base URI, {@code http://127.0.0.1:PORT}, without a trailing slash. */
  URI base() {
    return base;
  }

  /** A URI of a path on this server. */
  URI uri(String path) {
    return URI.create(base + path);
  }

  /** The loopback port. */
  int port() {
    return base.getPort();
  }

  @Override
  public void close() {
    try {
      stopper.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping " + this, e);
    }
  }

  /** Stops a server. */
  @FunctionalInterface
  private interface Stopper {
    void stop() throws Exception;
  }

  @Override
  public String toString() {
    return adapter + " " + base;
  }
}
