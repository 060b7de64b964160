package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.Threads;
import dev.etagguard.tomcat.ETagGuardValve;

import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * No thread outlives the filter, valve or handler that started it: the permit timer of an engine
 * the adapter made (from init-params, valve attributes, handler settings) ends when the webapp is
 * undeployed or the handler stops, so an undeployed webapp's class loader stays collectable.
 * Each case first makes a write wait for its permit, which starts the timer.
 */
class UndeployTest {

  private static final String TIMER = "etag-guard-permit-timer";

  private static Set<Thread> timers() {
    return Threads.alive(TIMER);
  }

  /** Two writes to one resource, the first slow: the second waits for the permit. */
  private static Set<Thread> contend(URI base) throws Exception {
    Set<Thread> before = timers();
    CompletableFuture<Integer> slow = CompletableFuture.supplyAsync(() -> {
      try {
        return put(URI.create(base + "/u/a?slow=500"), "1").statusCode();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(150);
    assertThat(put(URI.create(base + "/u/a"), "2").statusCode()).isIn(201, 204);
    assertThat(slow.get(20, TimeUnit.SECONDS)).isIn(201, 204);
    Set<Thread> started = timers();
    started.removeAll(before);
    assertThat(started).as("the waiting write started the engine's timer").hasSize(1);
    return started;
  }

  private static void assertEnded(Set<Thread> threads) throws InterruptedException {
    for (Thread t : threads) {
      t.join(10_000);
      assertThat(t.isAlive()).as("%s after the stop", t).isFalse();
    }
  }

  private static Tomcat tomcat(Path dir) {
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(dir.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    tomcat.getHost().setAutoDeploy(false);
    return tomcat;
  }

  private static Context webapp(Tomcat tomcat, Path dir) throws Exception {
    Context context = tomcat.addContext("", Files.createDirectories(dir.resolve("ROOT")).toString());
    Wrapper wrapper = Tomcat.addServlet(context, "app", new ResourceServlet());
    wrapper.addMapping("/*");
    return context;
  }

  @Test
  void theFiltersTimerEndsWithItsWebapp() throws Exception {
    Path dir = Files.createTempDirectory("etag-guard-undeploy");
    Tomcat tomcat = tomcat(dir);
    Context context = webapp(tomcat, dir);
    FilterDef def = new FilterDef();
    def.setFilterName("etagGuard");
    def.setFilter(new ETagGuardFilter());
    def.addInitParameter("permitTimeout", "20s");
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName("etagGuard");
    map.addURLPattern("/*");
    context.addFilterMap(map);
    tomcat.start();
    try {
      Set<Thread> timer = contend(URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort()));
      context.stop(); // undeploy: the filter is destroyed
      assertEnded(timer);
    } finally {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  @Test
  void theValvesTimerEndsWithItsWebapp() throws Exception {
    Path dir = Files.createTempDirectory("etag-guard-undeploy");
    Tomcat tomcat = tomcat(dir);
    tomcat.getHost().getPipeline().addValve(new ETagGuardValve(GuardSettings.DEFAULTS));
    Context context = webapp(tomcat, dir);
    tomcat.start();
    try {
      Set<Thread> timer = contend(URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort()));
      context.stop();
      assertEnded(timer);
    } finally {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  @Test
  void theHandlersTimerEndsWithIt() throws Exception {
    for (boolean fromSettings : new boolean[] {true, false}) {
      Server server = new Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      server.addConnector(connector);
      ServletContextHandler context = new ServletContextHandler();
      context.addServlet(new ServletHolder(new ResourceServlet()), "/*");
      ETagGuardHandler guard = fromSettings ? new ETagGuardHandler(GuardSettings.DEFAULTS) : new ETagGuardHandler();
      guard.setHandler(context);
      server.setHandler(guard);
      server.start();
      try {
        Set<Thread> timer = contend(URI.create("http://127.0.0.1:" + connector.getLocalPort()));
        guard.stop();
        assertEnded(timer);
      } finally {
        server.stop();
      }
    }
  }
}
