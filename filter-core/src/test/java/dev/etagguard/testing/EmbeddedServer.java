package dev.etagguard.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.function.Consumer;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;

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
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real embedded server on a free loopback port, running one servlet at {@code /*} with an
 * optional filter in front (REQUEST and ASYNC dispatches), for tests over real sockets.
 */
public interface EmbeddedServer extends ServerUnderTest {

  /** The servers tests run on. */
  enum Kind {
    TOMCAT, JETTY;

    /** Starts this kind of server. */
    public EmbeddedServer start(Servlet servlet, Filter filter) throws Exception {
      return this == TOMCAT ? tomcat(servlet, filter) : jetty(servlet, filter);
    }
  }

  /** A running server at {@code base}, named {@code name} (its kind) in test output, stopped by {@code stop}. */
  static EmbeddedServer of(String name, URI base, AutoCloseable stop) {
    return new EmbeddedServer() {
      @Override
      public URI base() {
        return base;
      }

      @Override
      public void close() {
        try {
          stop.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      public String toString() {
        return name + " " + base;
      }
    };
  }

  /** Embedded Tomcat with the servlet and filter in the root context. */
  static EmbeddedServer tomcat(Servlet servlet, Filter filter) throws Exception {
    return tomcat(0, context -> {
      org.apache.catalina.Wrapper wrapper = Tomcat.addServlet(context, "app", servlet);
      wrapper.setAsyncSupported(true);
      wrapper.addMapping("/*");
      if (filter != null) {
        addFilter(context, "etagGuard", filter, DispatcherType.REQUEST, DispatcherType.ASYNC);
      }
    });
  }

  /**
   * Embedded Tomcat on {@code threads} request threads ({@code 0}: Tomcat's default), its root
   * context set up by {@code setup}.
   */
  static EmbeddedServer tomcat(int threads, Consumer<Context> setup) throws Exception {
    Path dir = Files.createTempDirectory("etag-guard-tomcat");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(dir.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    if (threads > 0) {
      connector.setProperty("maxThreads", Integer.toString(threads));
      connector.setProperty("minSpareThreads", Integer.toString(threads));
    }
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    setup.accept(tomcat.addContext("", dir.toString()));
    tomcat.start();
    return of("Tomcat", URI.create("http://127.0.0.1:" + connector.getLocalPort()), () -> {
      tomcat.stop();
      tomcat.destroy();
    });
  }

  /** Maps {@code filter}, async-supported, at {@code /*} of a Tomcat context for {@code dispatches}. */
  static void addFilter(Context context, String name, Filter filter, DispatcherType... dispatches) {
    FilterDef def = new FilterDef();
    def.setFilterName(name);
    def.setFilter(filter);
    def.setAsyncSupported("true");
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName(name);
    map.addURLPattern("/*");
    for (DispatcherType dispatch : dispatches) {
      map.setDispatcher(dispatch.name());
    }
    context.addFilterMap(map);
  }

  /** Embedded Jetty (ee11) with the servlet and filter in the root context. */
  static EmbeddedServer jetty(Servlet servlet, Filter filter) throws Exception {
    return jetty(0, context -> {
      ServletHolder holder = new ServletHolder(servlet);
      holder.setAsyncSupported(true);
      context.addServlet(holder, "/*");
      if (filter != null) {
        addFilter(context, filter, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
      }
    });
  }

  /**
   * Embedded Jetty (ee11) on {@code threads} threads ({@code 0}: Jetty's default pool), one
   * acceptor and one selector, its root context set up by {@code setup}.
   */
  static EmbeddedServer jetty(int threads, Consumer<ServletContextHandler> setup) throws Exception {
    Server server = threads > 0 ? new Server(new QueuedThreadPool(threads, threads)) : new Server();
    ServerConnector connector = new ServerConnector(server, 1, 1);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    setup.accept(context);
    server.setHandler(context);
    server.start();
    return of("Jetty", URI.create("http://127.0.0.1:" + connector.getLocalPort()), server::stop);
  }

  /** Maps {@code filter}, async-supported, at {@code path} of a Jetty context for {@code dispatches}. */
  static void addFilter(ServletContextHandler context, Filter filter, String path, EnumSet<DispatcherType> dispatches) {
    FilterHolder holder = new FilterHolder(filter);
    holder.setAsyncSupported(true);
    context.addFilter(holder, path, dispatches);
  }
}
