package dev.etagguard.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import dev.etagguard.GuardSettings;
import dev.etagguard.samples.wiki.WikiServlet;
import dev.etagguard.servlet.ETagGuardFilter;

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

/** The wiki servlet on embedded Jetty or Tomcat, bare or behind one filter, on 127.0.0.1. */
final class Servers {

  private Servers() {
  }

  /** What sits in front of the servlet. */
  enum Mode {
    BARE, SPRING, GUARD;

    @Nullable Filter filter() {
      return switch (this) {
        case BARE -> null;
        case SPRING -> new ShallowEtagHeaderFilter();
        case GUARD -> new ETagGuardFilter(GuardSettings.builder().guardedPaths("/articles/*").build());
      };
    }

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A running server. */
  interface Running {
    int port();

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
    Filter filter = mode.filter();
    if (filter != null) {
      context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    }
    server.setHandler(context);
    server.start();
    return new Running() {
      @Override
      public int port() {
        return connector.getLocalPort();
      }

      @Override
      public void stop() throws Exception {
        server.stop();
      }
    };
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
    tomcat.start();
    return new Running() {
      @Override
      public int port() {
        return connector.getLocalPort();
      }

      @Override
      public void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
        deleteQuietly(base);
      }
    };
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; nothing to do
    }
  }
}
