package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.conformance.kit.CheckResult;
import dev.etagguard.conformance.kit.ConformanceRunner;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.reliability.GuardedServer.Adapter;
import dev.etagguard.testing.HandlerRows;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.Permits;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.testing.Http;

import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.servlets.WebdavServlet;
import org.apache.catalina.startup.Tomcat;
import org.apache.jasper.servlet.JasperInitializer;
import org.apache.jasper.servlet.JspServlet;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The handler corpus of issue 18: handlers nobody on the project wrote, each with the containers'
 * defaults (only what a handler needs to be writable is set), behind every adapter it can sit
 * behind, each with the conformance rows of {@link HandlerRows}, and, where it writes, the
 * lost-update drill and the conformance kit's rows. What a handler does wrong by itself the
 * guard corrects where it can; what it cannot (the handler's own deviations, each shown by the
 * bare handler too) is listed per handler, and the test fails both when another row fails and
 * when a listed one passes.
 */
class HandlerCorpusTest {

  /** The document every read row runs on, and its body. */
  private static final String DOC = "/c/doc.txt";
  private static final byte[] BODY = "corpus document 0123456789".getBytes(StandardCharsets.US_ASCII);

  /**
   * Tomcat's {@code DefaultServlet} and {@code WebdavServlet} evaluate the preconditions of GET and
   * HEAD themselves and answer their own 412 with Tomcat's HTML error page, which the guard passes
   * through; the kit asks for a problem body on every 412 (If-Match without a match on GET, A07,
   * A08, A13; If-Unmodified-Since before the file's date on HEAD, B06; If-Match on HEAD of a missing
   * file, F02).
   */
  static final Set<String> TOMCAT_OWN_412 = Set.of("kit A07", "kit A08", "kit A13", "kit B06", "kit F02");

  /**
   * A handler of the corpus: the adapters it can sit behind, whether it stores PUT bodies, and the
   * rows it fails by itself that the guard leaves as they are (each shown failing on the bare
   * handler too, by {@link #theHandlersOwnDeviationsAreItsOwn}, and documented).
   */
  enum Corpus {
    /**
     * Tomcat's {@code DefaultServlet} at {@code /} with Tomcat's defaults and {@code readonly=false}:
     * weak ETags ({@code W/"length-modified"}), which never satisfy If-Match or If-Range (RFC 9110
     * 8.8.3.2), so its resources take no conditional write but with {@code If-None-Match: *}.
     */
    TOMCAT_DEFAULT_SERVLET(false, Set.of("get-strong-etag", "current-if-range-206"),
        Adapter.FILTER_TOMCAT, Adapter.TOMCAT_VALVE),
    /** Tomcat's {@code DefaultServlet} at {@code /}, {@code readonly=false}, {@code useStrongETags=true}. */
    TOMCAT_DEFAULT_SERVLET_STRONG(true, TOMCAT_OWN_412, Adapter.FILTER_TOMCAT, Adapter.TOMCAT_VALVE),
    /** Tomcat's {@code WebdavServlet} at {@code /*}, {@code readonly=false}, {@code useStrongETags=true}. */
    TOMCAT_WEBDAV_SERVLET(true, TOMCAT_OWN_412, Adapter.FILTER_TOMCAT, Adapter.TOMCAT_VALVE),
    /** Jetty's ee11 {@code DefaultServlet} at {@code /} with Jetty's defaults (it does not write). */
    JETTY_EE11_DEFAULT_SERVLET(false, Set.of(), Adapter.FILTER_JETTY, Adapter.JETTY_HANDLER),
    /** Jetty's core {@code ResourceHandler} with Jetty's defaults; only the Jetty handler sits in front of it. */
    JETTY_RESOURCE_HANDLER(false, Set.of(), Adapter.JETTY_HANDLER),
    /** A JAX-RS resource on Jersey ({@link JaxRsDocuments}: its own ETags, {@code evaluatePreconditions}). */
    JERSEY_RESOURCE(true, Set.of("kit A07", "kit A08", "kit A13"), Adapter.values()),
    /**
     * A servlet that forwards GET to a JSP view ({@code RequestDispatcher.forward}) and stores PUT
     * and DELETE itself, on Tomcat with Tomcat's defaults ({@code suspendWrappedResponseAfterForward=true}).
     */
    TOMCAT_JSP_FORWARD(true, Set.of(), Adapter.FILTER_TOMCAT, Adapter.TOMCAT_VALVE);

    /**
     * Writes files in place, so a read beside a write may see a file half written (Tomcat's
     * {@code DefaultServlet} then answers 403 or a short body): run with {@code readPermits}, as
     * the README asks for such handlers.
     */
    boolean writesFilesInPlace() {
      return this == TOMCAT_DEFAULT_SERVLET_STRONG || this == TOMCAT_WEBDAV_SERVLET;
    }

    GuardSettings settings() {
      return GuardSettings.builder().guardedPaths("/c/*").readPermits(writesFilesInPlace()).build();
    }

    final boolean writable;
    final Set<String> ownDeviations;
    final List<Adapter> adapters;

    Corpus(boolean writable, Set<String> ownDeviations, Adapter... adapters) {
      this.writable = writable;
      this.ownDeviations = ownDeviations;
      this.adapters = List.of(adapters);
    }
  }

  static Stream<Arguments> cells() {
    List<Arguments> all = new ArrayList<>();
    for (Corpus handler : Corpus.values()) {
      for (Adapter adapter : handler.adapters) {
        all.add(Arguments.of(handler, adapter));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} behind {1}")
  @MethodSource("cells")
  void theRowsHold(Corpus handler, Adapter adapter, @TempDir Path files) throws Exception {
    Files.createDirectories(files.resolve("c"));
    Files.createDirectories(files.resolve("o"));
    Files.write(files.resolve("c/doc.txt"), BODY);
    GuardEngine engine = GuardEngine.create(handler.settings());
    try (Host host = start(handler, adapter, engine, files)) {
      seed(handler, host);
      Map<String, String> failures = new LinkedHashMap<>(HandlerRows.reads(host.uri(DOC), BODY));
      failures.putAll(HandlerRows.writes(host.uri(DOC), BODY, handler.writable));
      if (handler.writable) {
        if (failures.containsKey("get-strong-etag")) {
          failures.put("lost-update-drill", "not run: no strong ETag to send in If-Match");
        } else {
          drill(host.uri("/c/counter"), failures);
        }
        kit(host, failures, true);
      }
      assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(10))).as("permits held").isZero();
      String cell = handler + " " + adapter;
      failures.forEach((row, detail) -> System.out.println("[corpus] " + cell + " " + row + ": " + detail));
      Set<String> expected = new TreeSet<>(handler.ownDeviations);
      assertThat(new TreeSet<>(failures.keySet())).as("failing rows of %s: %s", cell, failures).isEqualTo(expected);
    }
  }

  /**
   * The same cell with the guard switched off ({@code enabled=false}: the adapter passes every
   * request through), the evidence of whose failure a failing row is. The bare handler serves the
   * document whole (so a 500 or an empty body behind the guard would be the guard's); the read rows a
   * handler fails by itself fail bare too; and a handler whose own 412 the kit refuses answers a
   * stale If-Match on GET with a 412 of its own, without a problem body.
   */
  @ParameterizedTest(name = "{0} behind {1}, switched off")
  @MethodSource("cells")
  void theBareHandlerShowsWhoseFailureItIs(Corpus handler, Adapter adapter, @TempDir Path files) throws Exception {
    Files.createDirectories(files.resolve("c"));
    Files.write(files.resolve("c/doc.txt"), BODY);
    GuardEngine off = GuardEngine.create(GuardSettings.builder().enabled(false).build());
    try (Host host = start(handler, adapter, off, files)) {
      seed(handler, host);
      HttpResponse<byte[]> get = Http.get(host.uri(DOC));
      assertThat(get.statusCode()).as("bare GET").isEqualTo(200);
      assertThat(get.body()).as("bare GET body").isEqualTo(BODY);
      assertThat(Http.head(host.uri(DOC)).statusCode()).as("bare HEAD").isEqualTo(200);

      Map<String, String> failures = HandlerRows.reads(host.uri(DOC), BODY);
      String cell = handler + " " + adapter;
      failures.forEach((row, detail) -> System.out.println("[corpus] " + cell + " switched off " + row + ": " + detail));
      Set<String> ownReadRows = new TreeSet<>(handler.ownDeviations);
      ownReadRows.removeIf(row -> row.startsWith("kit "));
      assertThat(failures.keySet()).as("rows the bare handler fails: %s", failures).containsAll(ownReadRows);
      if (handler.ownDeviations.stream().anyMatch(row -> row.startsWith("kit "))) {
        HttpResponse<byte[]> own = Http.get(host.uri(DOC), "If-Match", HandlerRows.STALE);
        System.out.println("[corpus] " + cell + " switched off: GET If-Match stale -> " + own.statusCode() + " "
            + Http.header(own, "Content-Type"));
        assertThat(own.statusCode()).as("the handler's own answer to a stale If-Match on GET").isEqualTo(412);
        assertThat(String.valueOf(Http.header(own, "Content-Type"))).doesNotStartWith("application/problem+json");
      }
    }
  }

  private static void drill(URI counter, Map<String, String> failures) {
    try {
      LostUpdateDrill.run(counter, 4, 5);
    } catch (AssertionError | Exception e) {
      failures.put("lost-update-drill", HandlerRows.shortened(e.getMessage()));
    }
  }

  /**
   * The conformance kit's rows on {@code /c/} (with the 428 policy when {@code policy}) and
   * {@code /o/}; rows that fail because their fixture cannot be made count as one failure.
   */
  private static void kit(Host host, Map<String, String> failures, boolean policy) throws InterruptedException {
    try (ConformanceRunner runner = new ConformanceRunner(host.uri("/c/"), host.uri("/o/"), policy,
        Duration.ofSeconds(30))) {
      List<CheckResult> results = runner.rows();
      int fixtures = 0;
      for (CheckResult r : results) {
        if (r.verdict() != CheckResult.Verdict.FAIL) {
          continue;
        }
        if ("-".equals(r.got())) {
          if (fixtures++ == 0) {
            failures.put("kit fixtures", r.id() + ": " + r.detail());
          }
        } else {
          failures.put("kit " + r.id(), r.got() + ": " + r.detail());
        }
      }
      if (fixtures > 1) {
        failures.put("kit fixtures", failures.get("kit fixtures") + " (and " + (fixtures - 1) + " more rows)");
      }
      long skipped = results.stream().filter(r -> r.verdict() == CheckResult.Verdict.SKIP).count();
      if (skipped > 5) {
        failures.put("kit skipped", skipped + " of " + results.size() + " rows skipped");
      }
    }
  }

  // ------------------------------------------------------------------ hosts

  /** A started server with the handler behind the adapter. */
  interface Host extends AutoCloseable {
    URI uri(String path);

    @Override
    void close();
  }

  private static Host start(Corpus handler, Adapter adapter, GuardEngine engine, Path files) throws Exception {
    if (handler == Corpus.JETTY_RESOURCE_HANDLER) {
      return resourceHandler(engine, files);
    }
    GuardedServer server = GuardedServer.start(adapter, engine, webapp(handler, files));
    return new Host() {
      @Override
      public URI uri(String path) {
        return server.uri(path);
      }

      @Override
      public void close() {
        server.close();
      }
    };
  }

  /** Creates the document of the read rows in a handler that keeps no files. */
  private static void seed(Corpus handler, Host host) throws Exception {
    if (handler == Corpus.JERSEY_RESOURCE || handler == Corpus.TOMCAT_JSP_FORWARD) {
      assertThat(Http.send("PUT", host.uri(DOC), Map.of("If-None-Match", List.of("*")), BODY).statusCode())
          .as("creating %s", DOC).isEqualTo(201);
    }
  }

  private static GuardedServer.Webapp webapp(Corpus handler, Path files) {
    return switch (handler) {
      case JERSEY_RESOURCE -> GuardedServer.Webapp.of(
          new ServletContainer(new ResourceConfig().register(new JaxRsDocuments())));
      case TOMCAT_JSP_FORWARD -> new GuardedServer.Webapp() {
        @Override
        public void tomcat(Context context, Path docBase) throws Exception {
          Files.createDirectories(docBase.resolve("WEB-INF"));
          Files.writeString(docBase.resolve("WEB-INF/view.jsp"),
              "<%@ page contentType=\"text/plain;charset=UTF-8\" trimDirectiveWhitespaces=\"true\" %>"
                  + "${requestScope.body}");
          context.addServletContainerInitializer(new JasperInitializer(), null);
          Wrapper jsp = Tomcat.addServlet(context, "jsp", new JspServlet());
          jsp.addMapping("*.jsp");
          Tomcat.addServlet(context, "view", new ForwardingServlet()).addMapping("/");
        }

        @Override
        public void jetty(ServletContextHandler context) {
          throw new UnsupportedOperationException("a Tomcat webapp");
        }
      };
      default -> new GuardedServer.Webapp() {
        @Override
        public void tomcat(Context context, Path docBase) throws Exception {
          copy(files, docBase);
          boolean webdav = handler == Corpus.TOMCAT_WEBDAV_SERVLET;
          Wrapper wrapper = Tomcat.addServlet(context, "default", webdav ? new WebdavServlet() : new DefaultServlet());
          wrapper.addInitParameter("readonly", "false");
          if (handler != Corpus.TOMCAT_DEFAULT_SERVLET) {
            wrapper.addInitParameter("useStrongETags", "true");
          }
          wrapper.addMapping(webdav ? "/*" : "/");
        }

        @Override
        public void jetty(ServletContextHandler context) {
          context.setBaseResourceAsPath(files);
          context.addServlet(new ServletHolder("default", org.eclipse.jetty.ee11.servlet.DefaultServlet.class), "/");
        }
      };
    };
  }

  /**
   * A controller servlet of the JSP era: GET puts the document into a request attribute and
   * forwards to {@code /WEB-INF/view.jsp}; PUT and DELETE store and remove documents (201/204,
   * 204/404), knowing nothing of validators.
   */
  static final class ForwardingServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient Map<String, String> docs = new ConcurrentHashMap<>();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
      String doc = docs.get(req.getServletPath());
      if (doc == null) {
        resp.sendError(404);
        return;
      }
      req.setAttribute("body", doc);
      req.getRequestDispatcher("/WEB-INF/view.jsp").forward(req, resp);
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      resp.setStatus(docs.put(req.getServletPath(), body) == null ? 201 : 204);
    }

    @Override
    protected void doDelete(HttpServletRequest req, HttpServletResponse resp) {
      resp.setStatus(docs.remove(req.getServletPath()) != null ? 204 : 404);
    }
  }

  private static void copy(Path from, Path to) throws java.io.IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Jetty's core {@code ResourceHandler} behind {@link ETagGuardHandler}, Jetty's defaults. */
  private static Host resourceHandler(GuardEngine engine, Path files) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ResourceHandler resources = new ResourceHandler();
    resources.setBaseResource(ResourceFactory.of(resources).newResource(files));
    ETagGuardHandler guard = new ETagGuardHandler(engine);
    guard.setHandler(resources);
    server.setHandler(guard);
    server.start();
    URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    return new Host() {
      @Override
      public URI uri(String path) {
        return URI.create(base + path);
      }

      @Override
      public void close() {
        try {
          server.stop();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }
}
