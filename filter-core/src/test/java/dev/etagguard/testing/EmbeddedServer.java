package dev.etagguard.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

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

  /** Embedded Tomcat with the servlet and filter in the root context. */
  static EmbeddedServer tomcat(Servlet servlet, Filter filter) throws Exception {
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
    if (filter != null) {
      FilterDef def = new FilterDef();
      def.setFilterName("etagGuard");
      def.setFilter(filter);
      def.setAsyncSupported("true");
      context.addFilterDef(def);
      FilterMap map = new FilterMap();
      map.setFilterName("etagGuard");
      map.addURLPattern("/*");
      map.setDispatcher(DispatcherType.REQUEST.name());
      map.setDispatcher(DispatcherType.ASYNC.name());
      context.addFilterMap(map);
    }
    tomcat.start();
    URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    return new EmbeddedServer() {
      @Override
      public URI base() {
        return base;
      }

      @Override
      public void close() {
        try {
          tomcat.stop();
          tomcat.destroy();
        } catch (org.apache.catalina.LifecycleException e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      public String toString() {
        return "Tomcat " + base;
      }
    };
  }

  /** Embedded Jetty (ee11) with the servlet and filter in the root context. */
  static EmbeddedServer jetty(Servlet servlet, Filter filter) throws Exception {
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
    if (filter != null) {
      FilterHolder filterHolder = new FilterHolder(filter);
      filterHolder.setAsyncSupported(true);
      context.addFilter(filterHolder, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    }
    server.setHandler(context);
    server.start();
    URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    return new EmbeddedServer() {
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

      @Override
      public String toString() {
        return "Jetty " + base;
      }
    };
  }
}
