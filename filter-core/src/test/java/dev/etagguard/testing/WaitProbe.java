package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.spi.WriteSequencer;

/**
 * Differential probes of requests that waited for their permit: each handler behaviour runs once
 * without waiting and once queued behind a write that holds its resource's permit, and the two
 * answers must be the same, the handler run once each time, and no permit left held.
 *
 * <p>{@link Handler} at {@code /p/*} does what the query string's {@code mode} says (see
 * {@link #MODES}); {@link Target} at {@code /target} answers forwards, includes and dispatches;
 * {@link ErrorPage} at {@code /error} is the error page for 409.
 */
public final class WaitProbe {

  /** Handler behaviours probed, all answered as they would be had the request never waited. */
  public static final List<String> MODES = List.of("plain", "senderror", "forward", "include", "asyncpath",
      "asyncsame", "asyncwrapped", "writethrow", "form", "formput", "user", "status");

  private WaitProbe() {
  }

  /** The probed application: the servlet at {@code /p/*}. */
  public static final class Handler extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** Lets the write holding a path's permit finish; one latch per path. */
    public final transient Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
    /** Handler runs (REQUEST ones) per path and mode. */
    public final transient Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    /** What the handler saw per path and mode: dispatcher type, remote user, body. */
    public final transient Map<String, String> seen = new ConcurrentHashMap<>();
    /** The resources: GET answers 404 for a path never written. */
    public final transient Map<String, String> stored = new ConcurrentHashMap<>();

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
      String mode = mode(req);
      if (req.getDispatcherType() == DispatcherType.ASYNC) {
        // asyncsame: the result of the handler's own dispatch
        resp.setContentType("text/plain");
        resp.getWriter().write("async:" + req.getAttribute("body"));
        return;
      }
      if ("GET".equals(req.getMethod()) || "HEAD".equals(req.getMethod())) {
        get(req, resp, mode);
        return;
      }
      String key = req.getPathInfo() + "|" + mode;
      runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      String body;
      if ("form".equals(mode) || "formput".equals(mode)) {
        body = "v=" + req.getParameter("v");
      } else {
        body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      }
      seen.put(key, req.getDispatcherType() + ";" + req.getRemoteUser() + ";" + body);
      req.setAttribute("body", body);
      if (!"hold".equals(mode)) {
        stored.put(req.getPathInfo(), body);
      }
      resp.setContentType("text/plain");
      switch (mode) {
        case "hold" -> {
          try {
            if (!holds.computeIfAbsent(req.getPathInfo(), p -> new CountDownLatch(1)).await(20, TimeUnit.SECONDS)) {
              resp.sendError(500);
              return;
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          resp.setStatus(stored.put(req.getPathInfo(), body) == null ? 201 : 204);
        }
        case "plain", "form", "formput" -> resp.getWriter().write("stored:" + body);
        case "status" -> {
          resp.setStatus(202);
          resp.setHeader("X-Probe", "kept");
          resp.getWriter().write("accepted:" + body);
        }
        case "user" -> resp.getWriter().write("user:" + req.getRemoteUser() + ":" + body);
        case "senderror" -> resp.sendError(409);
        case "forward" -> req.getRequestDispatcher("/target").forward(req, resp);
        case "include" -> {
          resp.getWriter().write("before;");
          req.getRequestDispatcher("/target").include(req, resp);
          resp.getWriter().write(";after");
        }
        case "asyncpath" -> {
          AsyncContext async = req.startAsync(req, resp);
          async.start(() -> async.dispatch("/target"));
        }
        case "asyncsame" -> {
          AsyncContext async = req.startAsync(req, resp);
          async.start(async::dispatch);
        }
        case "asyncwrapped" -> {
          AsyncContext async = req.startAsync(req, resp);
          async.start(() -> {
            try {
              async.getResponse().getWriter().write("completed:" + body);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            async.complete();
          });
        }
        case "writethrow" -> {
          resp.getWriter().write("partial");
          throw new IllegalStateException("handler failure after writing (probe)");
        }
        default -> resp.sendError(400, "unknown mode " + mode);
      }
    }

    private void get(HttpServletRequest req, HttpServletResponse resp, String mode) throws IOException {
      String body = stored.get(req.getPathInfo());
      if (body == null) {
        resp.sendError(404);
        return;
      }
      resp.setContentType("text/plain");
      if ("asyncsame".equals(mode)) {
        req.setAttribute("body", "read");
        AsyncContext async = req.startAsync(req, resp);
        async.start(async::dispatch);
        return;
      }
      resp.getWriter().write("read:" + req.getDispatcherType() + ":" + body);
    }

    private static String mode(HttpServletRequest req) {
      String q = req.getQueryString();
      if (q != null) {
        for (String pair : q.split("&")) {
          if (pair.startsWith("mode=")) {
            return pair.substring(5);
          }
        }
      }
      return "plain";
    }
  }

  /** The target of forwards, includes and the handler's own dispatches. */
  public static final class Target extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setContentType("text/plain");
      resp.getWriter().write("target:" + req.getDispatcherType() + ":" + req.getAttribute("body")
          + (req.getAttribute(DISPATCH_FILTER) != null ? ":" + req.getAttribute(DISPATCH_FILTER) : ""));
    }
  }

  /**
   * The probed application in a Tomcat webapp: {@link Handler} at {@code /p/*}, {@link Target} at
   * {@code /target} behind {@link #dispatchFilter()} (FORWARD and INCLUDE), {@link ErrorPage} at
   * {@code /error} for 409 and for an {@code IllegalStateException}.
   */
  public static void onTomcat(org.apache.catalina.Context context, Handler handler) {
    for (Object[] s : List.<Object[]>of(new Object[] {"probe", handler, "/p/*"},
        new Object[] {"target", new Target(), "/target"}, new Object[] {"error", new ErrorPage(), "/error"})) {
      org.apache.catalina.Wrapper wrapper = org.apache.catalina.startup.Tomcat.addServlet(context, (String) s[0],
          (jakarta.servlet.Servlet) s[1]);
      wrapper.setAsyncSupported(true);
      wrapper.addMapping((String) s[2]);
    }
    org.apache.tomcat.util.descriptor.web.FilterDef def = new org.apache.tomcat.util.descriptor.web.FilterDef();
    def.setFilterName("dispatch");
    def.setFilter(dispatchFilter());
    def.setAsyncSupported("true");
    context.addFilterDef(def);
    org.apache.tomcat.util.descriptor.web.FilterMap map = new org.apache.tomcat.util.descriptor.web.FilterMap();
    map.setFilterName("dispatch");
    map.addURLPattern("/target");
    map.setDispatcher(DispatcherType.FORWARD.name());
    map.setDispatcher(DispatcherType.INCLUDE.name());
    context.addFilterMap(map);
    org.apache.tomcat.util.descriptor.web.ErrorPage page = new org.apache.tomcat.util.descriptor.web.ErrorPage();
    page.setErrorCode(409);
    page.setLocation("/error");
    context.addErrorPage(page);
    org.apache.tomcat.util.descriptor.web.ErrorPage failure = new org.apache.tomcat.util.descriptor.web.ErrorPage();
    failure.setExceptionType(IllegalStateException.class.getName());
    failure.setLocation("/error");
    context.addErrorPage(failure);
  }

  /** The attribute {@link #dispatchFilter()} sets: the dispatcher types it ran on. */
  public static final String DISPATCH_FILTER = "probe.dispatchFilter";

  /**
   * A filter to map at {@code /target} for FORWARD and INCLUDE dispatches only (as a JSP's or a
   * view's filters are): it notes each dispatch it runs on, which {@link Target} prints.
   */
  public static jakarta.servlet.Filter dispatchFilter() {
    return (request, response, chain) -> {
      Object before = request.getAttribute(DISPATCH_FILTER);
      request.setAttribute(DISPATCH_FILTER, (before == null ? "" : before + ",") + "filtered-" + request.getDispatcherType());
      chain.doFilter(request, response);
    };
  }

  /** The error page: says which status it renders, and in which dispatch. */
  public static final class ErrorPage extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setContentType("text/plain");
      resp.getWriter().write("error-page:" + req.getDispatcherType() + ":" + req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE));
    }
  }

  /** A status and a body, as the client got them. */
  public record Outcome(int status, String body) {
    static Outcome of(HttpResponse<String> r) {
      return new Outcome(r.statusCode(), r.body());
    }
  }

  /** The client side of a probe. */
  public static final class Client {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String user;

    public Client(URI base, String user) {
      this.base = base;
      this.user = user;
    }

    /** {@code mode} run without waiting, on a resource created just before. */
    public Outcome direct(String path, String mode) throws Exception {
      assertThat(send(path, "plain", "If-None-Match", "create").get(30, TimeUnit.SECONDS).statusCode()).isIn(200, 201);
      return Outcome.of(send(path, mode, "If-Match", "v1").get(30, TimeUnit.SECONDS));
    }

    /** {@code mode} run after waiting behind a write holding the resource's permit. */
    public Outcome queued(Handler handler, WriteSequencer sequencer, String path, String mode) throws Exception {
      CountDownLatch hold = handler.holds.computeIfAbsent("/" + path.substring(path.indexOf('/', 1) + 1), p -> new CountDownLatch(1));
      CompletableFuture<HttpResponse<String>> first = send(path, "hold", "If-None-Match", "create");
      assertThat(Permits.awaitHeld(sequencer, 1, Duration.ofSeconds(10))).as("the holding write's permit").isEqualTo(1);
      CompletableFuture<HttpResponse<String>> waiting = send(path, mode, "If-Match", "v1");
      assertThat(Permits.awaitWaiting(sequencer, 1, Duration.ofSeconds(10))).as("%s waiting", mode).isEqualTo(1);
      hold.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
      return Outcome.of(waiting.get(30, TimeUnit.SECONDS));
    }

    /** A write of {@code mode}: If-None-Match: * to create, else If-Match: *. */
    public CompletableFuture<HttpResponse<String>> send(String path, String mode, String precondition, String body) {
      boolean form = "form".equals(mode) || "formput".equals(mode);
      HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path + "?mode=" + mode))
          .timeout(Duration.ofSeconds(30)).header(precondition, "*")
          .method("form".equals(mode) ? "POST" : "PUT", HttpRequest.BodyPublishers.ofString(form ? "v=" + body : body));
      if (form) {
        b.header("Content-Type", "application/x-www-form-urlencoded");
      }
      if (user != null) {
        b.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
      }
      return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpClient http() {
      return http;
    }
  }

  /** The runs of {@code mode} the handler counted on {@code path}. */
  public static int runs(Handler handler, String pathInfo, String mode) {
    AtomicInteger n = handler.runs.get(pathInfo + "|" + mode);
    return n == null ? 0 : n.get();
  }

  /** Asserts that {@code mode} answered the same queued as direct, its handler ran once, and no permit is left. */
  public static void assertSame(Handler handler, Client client, WriteSequencer sequencer, String mode) throws Exception {
    Outcome direct = client.direct("/p/" + mode + "-direct", mode);
    // The direct run's permit goes as its answer does: the queued run's holder must be the only one.
    assertThat(Permits.awaitHeld(sequencer, 0, Duration.ofSeconds(5))).as("permits held after %s at once", mode).isZero();
    Outcome queued = client.queued(handler, sequencer, "/p/" + mode + "-queued", mode);
    int held = Permits.awaitHeld(sequencer, 0, Duration.ofSeconds(5));
    assertThat(queued).as("%s queued behind a held permit vs. run at once", mode).isEqualTo(direct);
    assertThat(runs(handler, "/" + mode + "-queued", mode)).as("%s handler runs after waiting", mode).isEqualTo(1);
    assertThat(Objects.requireNonNull(handler.seen.get("/" + mode + "-queued|" + mode)))
        .as("what the queued handler saw").isEqualTo(handler.seen.get("/" + mode + "-direct|" + mode));
    assertThat(held).as("permits held after %s", mode).isZero();
  }
}
