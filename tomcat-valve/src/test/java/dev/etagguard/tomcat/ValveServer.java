package dev.etagguard.tomcat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import dev.etagguard.testing.ServerUnderTest;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * Embedded Tomcat on a free loopback port with the valve in the Host's pipeline (in front of
 * Tomcat's ErrorReportValve and StandardHostValve, as {@code server.xml} puts it), and webapps
 * set up by the test.
 */
final class ValveServer implements ServerUnderTest {

  private final Tomcat tomcat;
  private final Path base;
  private final URI uri;

  private ValveServer(Tomcat tomcat, Path base, URI uri) {
    this.tomcat = tomcat;
    this.base = base;
    this.uri = uri;
  }

  /** One webapp at the root with {@code servlet} at {@code /*}. */
  static ValveServer start(ETagGuardValve valve, Servlet servlet) throws Exception {
    return start(valve, tomcat -> addServlet(root(tomcat), "app", servlet, "/*"));
  }

  /** Webapps set up by {@code setup}, the valve in the Host. */
  static ValveServer start(ETagGuardValve valve, Consumer<Tomcat> setup) throws Exception {
    Path base = Files.createTempDirectory("etag-guard-valve");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    connector.setThrowOnFailure(true);
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    tomcat.getHost().setAutoDeploy(false);
    tomcat.getHost().getPipeline().addValve(valve);
    setup.accept(tomcat);
    try {
      tomcat.start();
    } catch (LifecycleException | RuntimeException e) {
      stop(tomcat, base);
      throw e;
    }
    return new ValveServer(tomcat, base, URI.create("http://127.0.0.1:" + connector.getLocalPort()));
  }

  /** The root webapp, its docBase a fresh directory. */
  static Context root(Tomcat tomcat) {
    return webapp(tomcat, "");
  }

  /** A webapp at {@code path}, its docBase a fresh directory under the base. */
  static Context webapp(Tomcat tomcat, String path) {
    try {
      Path docBase = Files.createDirectories(Path.of(tomcat.getServer().getCatalinaBase().getPath(),
          "docs", path.isEmpty() ? "ROOT" : path.substring(1)));
      return tomcat.addContext(path, docBase.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Wrapper addServlet(Context context, String name, Servlet servlet, String... mappings) {
    Wrapper wrapper = Tomcat.addServlet(context, name, servlet);
    wrapper.setAsyncSupported(true);
    for (String mapping : mappings) {
      wrapper.addMapping(mapping);
    }
    return wrapper;
  }

  /** The filter at {@code /*} for REQUEST, ASYNC and ERROR dispatches. */
  static void addFilter(Context context, Filter filter) {
    FilterDef def = new FilterDef();
    def.setFilterName("etagGuard");
    def.setFilter(filter);
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

  @Override
  public URI base() {
    return uri;
  }

  Tomcat tomcat() {
    return tomcat;
  }

  @Override
  public void close() {
    stop(tomcat, base);
  }

  private static void stop(Tomcat tomcat, Path base) {
    try {
      tomcat.stop();
      tomcat.destroy();
    } catch (LifecycleException e) {
      throw new IllegalStateException(e);
    } finally {
      // Embedded Tomcat records its base in system properties the next instance would adopt.
      for (String property : List.of("catalina.base", "catalina.home")) {
        String value = System.getProperty(property);
        if (value != null && Path.of(value).toAbsolutePath().startsWith(base.toAbsolutePath())) {
          System.clearProperty(property);
        }
      }
      try (Stream<Path> paths = Files.walk(base)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // A temporary directory left behind is harmless.
      }
    }
  }
}
