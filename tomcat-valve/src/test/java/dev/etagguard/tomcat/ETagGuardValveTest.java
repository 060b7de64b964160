package dev.etagguard.tomcat;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.head;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.testing.Permits;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.http.EntityTag;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.support.Builtins;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.catalina.Context;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.tomcat.util.descriptor.web.ErrorPage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The valve in a Tomcat Host, in front of webapps that know nothing of ETags, over real sockets. */
class ETagGuardValveTest {

  private static final GuardSettings GUARDED = GuardSettings.builder().guardedPaths("/guarded/*")
      .maxBufferSize(64 * 1024).permitTimeout(java.time.Duration.ofSeconds(5)).build();

  private ValveServer server;
  private ETagGuardValve valve;
  private final List<Context> contexts = new ArrayList<>();

  private ResourceServlet startWithResourceServlet() throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    valve = new ETagGuardValve(GUARDED);
    server = ValveServer.start(valve, tomcat -> {
      Context root = ValveServer.root(tomcat);
      contexts.add(root);
      ValveServer.addServlet(root, "app", servlet, "/*");
    });
    return servlet;
  }

  @AfterEach
  void stop() throws Exception {
    try {
      for (Context context : contexts) {
        GuardEngine engine = valve.engine(context);
        if (engine == null) {
          continue;
        }
        // The client may see the response before the request thread has left the valve.
        assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5)))
            .as("permits held after the test in %s", context).isZero();
        assertThat(engine.sequencer().activeKeys()).as("sequencer keys left in %s", context).isZero();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private static EntityTag tagOf(byte[] body) {
    EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
    d.update(body, 0, body.length);
    return d.finish();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsGetGeneratedValidatorsAndConditionalAnswers() throws Exception {
    ResourceServlet servlet = startWithResourceServlet();
    servlet.store.put("/a", utf8("hello"));
    HttpResponse<byte[]> r = get(server.uri("/a"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("hello");
    assertThat(r.headers().allValues("ETag")).containsExactly(tagOf(utf8("hello")).toString());
    assertThat(header(r, "Content-Length")).isEqualTo("5");
    HttpResponse<byte[]> notModified = get(server.uri("/a"), "If-None-Match", header(r, "ETag"));
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    HttpResponse<byte[]> h = head(server.uri("/a"));
    assertThat(header(h, "ETag")).isEqualTo(header(r, "ETag"));
    assertThat(header(h, "Content-Length")).isEqualTo("5");
    HttpResponse<byte[]> part = get(server.uri("/a"), "Range", "bytes=1-2");
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(text(part)).isEqualTo("el");
    assertThat(get(server.uri("/a"), "If-Match", "\"other\"").statusCode()).isEqualTo(412);
  }

  @Test
  void guardedWritesNeedAPreconditionAndAStaleOneFails() throws Exception {
    ResourceServlet servlet = startWithResourceServlet();
    HttpResponse<byte[]> unconditional = put(server.uri("/guarded/x"), "v1");
    assertThat(unconditional.statusCode()).isEqualTo(428);
    assertThat(header(unconditional, "Content-Type")).startsWith("application/problem+json");
    assertThat(servlet.store).doesNotContainKey("/guarded/x");
    assertThat(put(server.uri("/guarded/x"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String v1 = header(get(server.uri("/guarded/x")), "ETag");
    HttpResponse<byte[]> bob = put(server.uri("/guarded/x"), "bob", "If-Match", v1);
    assertThat(bob.statusCode()).isEqualTo(204);
    assertThat(header(bob, "ETag")).as("RFC 9110 9.3.4: stored bytes equal the content")
        .isEqualTo(tagOf(utf8("bob")).toString());
    HttpResponse<byte[]> mary = put(server.uri("/guarded/x"), "mary", "If-Match", v1);
    assertThat(mary.statusCode()).isEqualTo(412);
    assertThat(header(mary, "ETag")).isEqualTo(header(bob, "ETag"));
    assertThat(new String(servlet.store.get("/guarded/x"), StandardCharsets.UTF_8)).isEqualTo("bob");
  }

  /** A store miss: the valve learns the current validators by an internal GET through the webapp. */
  @Test
  void unknownValidatorsAreLearnedByAnInternalGetFromTheValve() throws Exception {
    ResourceServlet servlet = startWithResourceServlet();
    byte[] v1 = utf8("written behind the guard's back");
    servlet.store.put("/guarded/y", v1);
    assertThat(put(server.uri("/guarded/y"), "x", "If-Match", "\"stale\"").statusCode()).isEqualTo(412);
    assertThat(servlet.store.get("/guarded/y")).isEqualTo(v1);
    valve.engine(contexts.get(0)).store().invalidate(new ResourceKey("/guarded/y"));
    HttpResponse<byte[]> current = put(server.uri("/guarded/y"), "x", "If-Match", tagOf(v1).toString());
    assertThat(current.statusCode()).isEqualTo(204);
    assertThat(header(current, "ETag")).isEqualTo(tagOf(utf8("x")).toString());
    assertThat(servlet.store.get("/guarded/y")).isEqualTo(utf8("x"));
    assertThat(put(server.uri("/guarded/z"), "new", "If-Match", "*").statusCode()).isEqualTo(412);
    assertThat(servlet.store).doesNotContainKey("/guarded/z");
  }

  /** The README's story under load: 32 clients, read-modify-write with If-Match, retry on 412. */
  @Test
  void thirtyTwoClientsLoseNoUpdate() throws Exception {
    startWithResourceServlet();
    LostUpdateDrill.run(server.uri("/guarded/counter"), 32, 10);
  }

  /** Tomcat's DefaultServlet sets its own (weak) ETag and Last-Modified: they are kept, never re-tagged. */
  @Test
  void staticFilesKeepTomcatsOwnValidators() throws Exception {
    valve = new ETagGuardValve(GUARDED);
    byte[] big = new byte[200 * 1024];
    java.util.Arrays.fill(big, (byte) 'b');
    server = ValveServer.start(valve, tomcat -> {
      Context root = ValveServer.root(tomcat);
      contexts.add(root);
      try {
        Files.writeString(Path.of(root.getDocBase(), "hello.txt"), "hello, static world\n");
        Files.write(Path.of(root.getDocBase(), "big.bin"), big);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      ValveServer.addServlet(root, "default", new DefaultServlet(), "/");
    });
    HttpResponse<byte[]> r = get(server.uri("/hello.txt"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("hello, static world\n");
    List<String> etags = r.headers().allValues("ETag");
    assertThat(etags).as("Tomcat's own tag, alone").hasSize(1);
    assertThat(etags.get(0)).startsWith("W/\"").isNotEqualTo(tagOf(utf8("hello, static world\n")).toString());
    assertThat(r.headers().allValues("Last-Modified")).hasSize(1);
    HttpResponse<byte[]> notModified = get(server.uri("/hello.txt"), "If-None-Match", etags.get(0));
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(header(notModified, "ETag")).isEqualTo(etags.get(0));
    assertThat(get(server.uri("/hello.txt"), "If-Modified-Since", header(r, "Last-Modified")).statusCode())
        .isEqualTo(304);
    HttpResponse<byte[]> h = head(server.uri("/hello.txt"));
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(header(h, "ETag")).isEqualTo(etags.get(0));
    HttpResponse<byte[]> range = get(server.uri("/hello.txt"), "Range", "bytes=0-4");
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(text(range)).isEqualTo("hello");

    // Larger than maxBufferSize: streamed, still with Tomcat's own tag, and 304 still works.
    HttpResponse<byte[]> large = get(server.uri("/big.bin"));
    assertThat(large.statusCode()).isEqualTo(200);
    assertThat(large.body()).isEqualTo(big);
    assertThat(large.headers().allValues("ETag")).hasSize(1).allSatisfy(t -> assertThat(t).startsWith("W/\""));
    assertThat(get(server.uri("/big.bin"), "If-None-Match", header(large, "ETag")).statusCode()).isEqualTo(304);
    assertThat(get(server.uri("/missing.txt")).statusCode()).isEqualTo(404);
  }

  @Test
  void asyncReadsAndWritesCompleteAndReleaseTheirPermit() throws Exception {
    ResourceServlet servlet = startWithResourceServlet();
    servlet.store.put("/a", utf8("async body"));
    HttpResponse<byte[]> read = get(server.uri("/a?async"));
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(text(read)).isEqualTo("async body");

    assertThat(put(server.uri("/guarded/a?async"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String etag = header(get(server.uri("/guarded/a")), "ETag");
    assertThat(put(server.uri("/guarded/a?async"), "v2", "If-Match", etag).statusCode()).isEqualTo(204);
    assertThat(put(server.uri("/guarded/a"), "v3", "If-Match", etag).statusCode()).isEqualTo(412);
    String v2 = header(get(server.uri("/guarded/a")), "ETag");
    // Async processing that times out: Tomcat answers through the pipeline again; the permit comes back.
    assertThat(put(server.uri("/guarded/a?async&timeout=200"), "never", "If-Match", v2).statusCode())
        .isGreaterThanOrEqualTo(500);
    assertThat(put(server.uri("/guarded/a"), "v4", "If-Match", v2).statusCode()).isEqualTo(204);
  }

  /** A servlet that really is asynchronous: it answers from another thread after startAsync. */
  @Test
  void aServletAnsweringFromAnotherThreadIsServedWhole() throws Exception {
    valve = new ETagGuardValve(GUARDED);
    server = ValveServer.start(valve, tomcat -> {
      Context root = ValveServer.root(tomcat);
      contexts.add(root);
      ValveServer.addServlet(root, "async", new HttpServlet() {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) {
          AsyncContext async = req.startAsync();
          async.start(() -> {
            try {
              HttpServletResponse r = (HttpServletResponse) async.getResponse();
              r.setContentType("text/plain");
              r.getWriter().write(req.getMethod() + " answered later");
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            } finally {
              async.complete();
            }
          });
        }
      }, "/*");
    });
    HttpResponse<byte[]> r = get(server.uri("/later"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("GET answered later");
    assertThat(header(r, "ETag")).as("an async response is held and tagged like any other").startsWith("\"");
    HttpResponse<byte[]> h = head(server.uri("/later"));
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(h.body()).isEmpty();
    assertThat(header(h, "ETag")).as("HEAD runs as GET").isEqualTo(header(r, "ETag"));
  }

  /**
   * An error page rendered by Tomcat for a guarded write (sendError, or an exception) reaches the
   * client whole, the request is neither processed twice nor deadlocked on its own permit, even
   * with the filter also mapped for ERROR dispatches.
   */
  @Test
  void errorPagesOfGuardedRequestsAreRenderedOnceWithoutDeadlock() throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    AtomicInteger errorPages = new AtomicInteger();
    valve = new ETagGuardValve(GUARDED);
    server = ValveServer.start(valve, tomcat -> {
      Context root = ValveServer.root(tomcat);
      contexts.add(root);
      ValveServer.addServlet(root, "app", servlet, "/*");
      ValveServer.addServlet(root, "error", new HttpServlet() {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
          errorPages.incrementAndGet();
          resp.setContentType("text/plain;charset=UTF-8");
          resp.getWriter().write("custom error page for " + req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE));
        }
      }, "/error");
      ErrorPage page = new ErrorPage();
      page.setErrorCode(500);
      page.setLocation("/error");
      root.addErrorPage(page);
      ErrorPage notFound = new ErrorPage();
      notFound.setErrorCode(404);
      notFound.setLocation("/error");
      root.addErrorPage(notFound);
      ValveServer.addFilter(root, new ETagGuardFilter(GuardSettings.builder().guardedPaths("/*").build()));
    });
    assertThat(put(server.uri("/guarded/e"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String etag = header(get(server.uri("/guarded/e")), "ETag");

    HttpResponse<byte[]> sent = put(server.uri("/guarded/e?error=500"), "v2", "If-Match", etag);
    assertThat(sent.statusCode()).isEqualTo(500);
    assertThat(text(sent)).isEqualTo("custom error page for 500");
    assertThat(header(sent, "ETag")).isNull();

    HttpResponse<byte[]> thrown = put(server.uri("/guarded/e?throw"), "v3", "If-Match", etag);
    assertThat(thrown.statusCode()).isEqualTo(500);
    assertThat(text(thrown)).isEqualTo("custom error page for 500");

    HttpResponse<byte[]> missing = get(server.uri("/nothing-here"));
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(text(missing)).isEqualTo("custom error page for 404");
    assertThat(header(missing, "ETag")).isNull();
    assertThat(errorPages).hasValue(3);

    // The permit came back at once (no wait for permitTimeout), and the failed writes were forgotten.
    GuardEngine engine = valve.engine(contexts.get(0));
    // The client can read the error page before the request thread has left the valve.
    assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).isZero();
    long start = System.nanoTime();
    String current = header(get(server.uri("/guarded/e")), "ETag");
    assertThat(put(server.uri("/guarded/e"), "v4", "If-Match", current).statusCode()).isEqualTo(204);
    assertThat(System.nanoTime() - start).isLessThan(GUARDED.permitTimeout().toNanos());
  }

  /** The filter behind the valve sees the attribute and passes: one guard, one ETag, one decision. */
  @Test
  void aRequestIsGuardedOnceWhenTheFilterIsAlsoInTheWebapp() throws Exception {
    ResourceServlet servlet = new ResourceServlet();
    AtomicInteger filterDecisions = new AtomicInteger();
    GuardEngine filterEngine = GuardEngine.builder(GuardSettings.builder().guardedPaths("/*").build())
        .listener(new GuardListener() {
          @Override
          public void onDecision(ResourceKey key, String method, Decision decision) {
            filterDecisions.incrementAndGet();
          }
        }).build();
    valve = new ETagGuardValve(GUARDED);
    server = ValveServer.start(valve, tomcat -> {
      Context root = ValveServer.root(tomcat);
      contexts.add(root);
      ValveServer.addServlet(root, "app", servlet, "/*");
      ValveServer.addFilter(root, new ETagGuardFilter(filterEngine));
    });
    assertThat(put(server.uri("/guarded/once"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    HttpResponse<byte[]> r = get(server.uri("/guarded/once"));
    assertThat(r.headers().allValues("ETag")).hasSize(1);
    assertThat(get(server.uri("/guarded/once"), "If-None-Match", header(r, "ETag")).statusCode()).isEqualTo(304);
    // Outside the valve's guardedPaths: the valve takes it (no 428), and so the filter, which would say 428, passes.
    assertThat(put(server.uri("/open/once"), "v1").statusCode()).isEqualTo(201);
    assertThat(filterDecisions).as("decisions made by the filter behind the valve").hasValue(0);
    assertThat(filterEngine.sequencer().heldPermits()).isZero();
  }

  /** With the valve switched off, the webapp's own filter guards: the attribute marks only requests the valve took. */
  @Test
  void aDisabledValveLeavesTheRequestToTheFilter() throws Exception {
    GuardEngine filterEngine = GuardEngine.create(GuardSettings.builder().guardedPaths("/*").build());
    ETagGuardValve disabled = new ETagGuardValve();
    disabled.setProperty("enabled", "false");
    valve = disabled;
    server = ValveServer.start(valve, tomcat -> {
      Context root = ValveServer.root(tomcat);
      contexts.add(root);
      ValveServer.addServlet(root, "app", new ResourceServlet(), "/*");
      ValveServer.addFilter(root, new ETagGuardFilter(filterEngine));
    });
    assertThat(put(server.uri("/open/x"), "v1").statusCode()).as("the filter's 428").isEqualTo(428);
    assertThat(valve.engine(contexts.get(0))).isNull();
  }

  /** One valve for a Host: each webapp has its own validators and permits. */
  @Test
  void webappsOfOneHostNeverShareState() throws Exception {
    ResourceServlet a = new ResourceServlet();
    ResourceServlet b = new ResourceServlet();
    valve = new ETagGuardValve(GUARDED);
    server = ValveServer.start(valve, tomcat -> {
      Context ca = ValveServer.webapp(tomcat, "/a");
      Context cb = ValveServer.webapp(tomcat, "/b");
      contexts.add(ca);
      contexts.add(cb);
      ValveServer.addServlet(ca, "app", a, "/*");
      ValveServer.addServlet(cb, "app", b, "/*");
    });
    assertThat(put(server.uri("/a/guarded/same"), "in a", "If-None-Match", "*").statusCode()).isEqualTo(201);
    assertThat(put(server.uri("/b/guarded/same"), "in b", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String tagA = header(get(server.uri("/a/guarded/same")), "ETag");
    assertThat(put(server.uri("/b/guarded/same"), "b2", "If-Match", tagA).statusCode()).isEqualTo(412);
    assertThat(put(server.uri("/a/guarded/same"), "a2", "If-Match", tagA).statusCode()).isEqualTo(204);
    assertThat(valve.engine(contexts.get(0))).isNotSameAs(valve.engine(contexts.get(1)));
    assertThat(b.store.get("/guarded/same")).isEqualTo(utf8("in b"));
  }

  /** /WEB-INF is Tomcat's to refuse (404): no internal GET reads it, no 412 tells its tag. */
  @Test
  void protectedPathsAreLeftToTomcat() throws Exception {
    valve = new ETagGuardValve(GuardSettings.builder().guardedPaths("/*").build());
    server = ValveServer.start(valve, tomcat -> {
      Context root = ValveServer.root(tomcat);
      contexts.add(root);
      try {
        Files.createDirectories(Path.of(root.getDocBase(), "WEB-INF"));
        Files.writeString(Path.of(root.getDocBase(), "WEB-INF", "secret.txt"), "secret");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      ValveServer.addServlet(root, "default", new DefaultServlet(), "/");
    });
    HttpResponse<byte[]> r = put(server.uri("/WEB-INF/secret.txt"), "x", "If-Match", "\"guess\"");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(header(r, "ETag")).isNull();
    assertThat(get(server.uri("/web-inf/secret.txt")).statusCode()).isEqualTo(404);
  }

  @Test
  void requestsOutsideAnyWebappPassThrough() throws Exception {
    AtomicInteger decisions = new AtomicInteger();
    valve = new ETagGuardValve(GUARDED) {
      @Override
      protected GuardEngine createEngine(Context context, GuardSettings settings) {
        return GuardEngine.builder(settings).listener(new GuardListener() {
          @Override
          public void onDecision(ResourceKey key, String method, Decision decision) {
            decisions.incrementAndGet();
          }
        }).build();
      }
    };
    server = ValveServer.start(valve, tomcat -> {
      Context app = ValveServer.webapp(tomcat, "/app");
      contexts.add(app);
      ValveServer.addServlet(app, "app", new ResourceServlet(), "/*");
    });
    assertThat(put(server.uri("/elsewhere/guarded/x"), "v").statusCode()).isEqualTo(404);
    // The webapp's guard is in place from its start, and it saw nothing of that request.
    assertThat(valve.engine(contexts.get(0))).isNotNull();
    assertThat(decisions).hasValue(0);
    assertThat(put(server.uri("/app/guarded/x"), "v").statusCode()).as("the webapp's own request").isEqualTo(428);
    assertThat(decisions).hasValue(1);
  }

  /**
   * The guard runs in a valve of its own at the end of each webapp's pipeline, after the
   * webapp's authenticator, in place before the first request (not inserted while requests run),
   * and back after a reload, with a fresh engine.
   */
  @Test
  void theGuardIsInEachWebappAfterItsAuthenticatorFromTheStart() throws Exception {
    valve = new ETagGuardValve(GUARDED);
    server = ValveServer.start(valve, tomcat -> {
      Context app = ValveServer.webapp(tomcat, "/app");
      app.getPipeline().addValve(new org.apache.catalina.authenticator.BasicAuthenticator());
      contexts.add(app);
      ValveServer.addServlet(app, "app", new ResourceServlet(), "/*");
    });
    Context app = contexts.get(0);
    assertGuardAfterAuthenticators(valveNames(app));
    GuardEngine before = valve.engine(app);
    assertThat(before).isNotNull();
    assertThat(put(server.uri("/app/guarded/x"), "v").statusCode()).isEqualTo(428);
    app.reload(); // (a reload drops the servlet this test added by hand: only the pipeline is checked after it)
    assertGuardAfterAuthenticators(valveNames(app));
    assertThat(valve.engine(app)).isNotNull().isNotSameAs(before);
  }

  private static void assertGuardAfterAuthenticators(List<String> valves) {
    assertThat(valves).filteredOn(n -> n.startsWith("ETagGuardValve.Guarding")).containsExactly("ETagGuardValve.Guarding[/app]");
    assertThat(valves).contains("BasicAuthenticator").last().isEqualTo("StandardContextValve");
    int guard = valves.indexOf("ETagGuardValve.Guarding[/app]");
    for (int i = 0; i < valves.size(); i++) {
      if (valves.get(i).endsWith("Authenticator")) {
        assertThat(i).as("%s before the guard in %s", valves.get(i), valves).isLessThan(guard);
      }
    }
  }

  private static List<String> valveNames(Context context) {
    List<String> names = new ArrayList<>();
    for (org.apache.catalina.Valve v : context.getPipeline().getValves()) {
      names.add(v.toString().startsWith("ETagGuardValve.") ? v.toString() : v.getClass().getSimpleName());
    }
    return names;
  }
}
