package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.spi.WriteSequencer;

/**
 * A servlet whose writes queue behind a slow one, for tests of requests waiting for their permit:
 * GET answers what PUT stored (and {@code /other} answers at once); PUT stores its body after
 * {@link #release} (the first write holds its permit until then), or with {@code ?async} from
 * another thread, or with {@code ?dispatch} in the ASYNC dispatch of its own async cycle, and with
 * {@code ?throw} fails. A PUT whose request the filter of {@link #MARKING} did not mark gets 403.
 */
public final class QueuedWriteServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  /** The request attribute a filter sets on the requests it saw ({@link #marking()}). */
  public static final String MARKING = "filtered";

  /** Stored bodies by path. */
  public final transient Map<String, String> bodies = new ConcurrentHashMap<>();
  /** Lets the writes waiting on it store. */
  public final transient CountDownLatch release = new CountDownLatch(1);
  /** Writes whose handler ran (their first dispatch). */
  public final transient AtomicInteger ran = new AtomicInteger();
  /** Writes whose first dispatch saw the attributes of an ASYNC dispatch ({@code jakarta.servlet.async.*}). */
  public final transient AtomicInteger asyncAttributes = new AtomicInteger();
  /** The dispatcher types the writes' first dispatches saw. */
  public final transient Set<DispatcherType> seen = ConcurrentHashMap.newKeySet();

  /** A filter marking the requests it saw; map it behind the guard, for REQUEST dispatches only. */
  public static Filter marking() {
    return (request, response, chain) -> {
      request.setAttribute(MARKING, Boolean.TRUE);
      chain.doFilter(request, response);
    };
  }

  /** A PUT with {@code If-Match: *}; the first, {@code "first"}, with {@code If-None-Match: *}. */
  public static CompletableFuture<HttpResponse<String>> put(HttpClient client, URI uri, String body) {
    return client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .header("first".equals(body) ? "If-None-Match" : "If-Match", "*").PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Queues {@code queued} writes behind a slow one to {@code /w/slow}, their handlers answering at
   * once, asynchronously or by a dispatch; with {@code threadsFree}, another request is answered
   * while they wait. Then each runs, in order, through the webapp's REQUEST filter, seeing its
   * REQUEST, and no permit is left held.
   */
  public void queueWrites(WriteSequencer sequencer, Function<String, URI> uri, int queued, boolean threadsFree)
      throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<CompletableFuture<HttpResponse<String>>> writes = new ArrayList<>();
    writes.add(put(client, uri.apply("/w/slow"), "first"));
    assertThat(Permits.awaitHeld(sequencer, 1, Duration.ofSeconds(10))).isEqualTo(1);
    for (int i = 0; i < queued; i++) {
      writes.add(put(client, uri.apply("/w/slow" + (i % 3 == 0 ? "" : i % 3 == 1 ? "?async" : "?dispatch")), "w" + i));
    }
    assertThat(Permits.awaitWaiting(sequencer, queued, Duration.ofSeconds(10)))
        .as("writes waiting for the permit").isEqualTo(queued);
    if (threadsFree) {
      HttpResponse<String> other = client.send(HttpRequest.newBuilder(uri.apply("/other"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).as("answered while %d writes wait", queued).isEqualTo(200);
    }
    release.countDown();
    int created = 0;
    for (CompletableFuture<HttpResponse<String>> write : writes) {
      int status = write.get(30, TimeUnit.SECONDS).statusCode();
      assertThat(status).as("every write ran its handler, through the webapp's REQUEST filter").isIn(201, 204);
      created += status == 201 ? 1 : 0;
    }
    assertThat(created).isEqualTo(1);
    assertThat(ran).hasValue(queued + 1);
    assertThat(seen).containsExactly(DispatcherType.REQUEST);
    assertThat(asyncAttributes).as("writes that saw an ASYNC dispatch's attributes").hasValue(0);
    assertThat(Permits.awaitHeld(sequencer, 0, Duration.ofSeconds(5))).isZero();
  }

  /**
   * Queues {@code queued} writes behind a slow one to {@code /w/k}, with a {@code permitTimeout}
   * shorter than the slow one: each is refused its turn and answered 503 with a problem body,
   * its handler never run; the slow one then stores, and no permit is left held.
   */
  public void refuseQueued(WriteSequencer sequencer, Function<String, URI> uri, int queued) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    CompletableFuture<HttpResponse<String>> first = put(client, uri.apply("/w/k"), "first");
    assertThat(Permits.awaitHeld(sequencer, 1, Duration.ofSeconds(10))).isEqualTo(1);
    List<CompletableFuture<HttpResponse<String>>> refused = new ArrayList<>();
    for (int i = 0; i < queued; i++) {
      refused.add(put(client, uri.apply("/w/k"), "late" + i));
    }
    for (CompletableFuture<HttpResponse<String>> write : refused) {
      HttpResponse<String> r = write.get(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    }
    assertThat(ran).as("handlers run: the first write's only").hasValue(1);
    release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    assertThat(bodies).containsEntry("/w/k", "first");
    assertThat(Permits.awaitHeld(sequencer, 0, Duration.ofSeconds(5))).isZero();
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String body = "/other".equals(req.getPathInfo()) ? "other" : bodies.get(req.getPathInfo());
    if (body == null) {
      resp.sendError(404);
      return;
    }
    resp.getWriter().write(body);
  }

  @Override
  protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    if (req.getDispatcherType() == DispatcherType.ASYNC) {
      // ?dispatch: the result, dispatched back after the body was read.
      String body = (String) req.getAttribute("body");
      resp.setStatus(bodies.put(req.getPathInfo(), body) == null ? 201 : 204);
      return;
    }
    ran.incrementAndGet();
    seen.add(req.getDispatcherType());
    if (req.getAttribute(AsyncContext.ASYNC_REQUEST_URI) != null
        || java.util.Collections.list(req.getAttributeNames()).contains(AsyncContext.ASYNC_REQUEST_URI)) {
      asyncAttributes.incrementAndGet();
    }
    if (req.getAttribute(MARKING) == null) {
      resp.sendError(403); // the webapp's own REQUEST filter must have run
      return;
    }
    String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (req.getParameter("throw") != null) {
      throw new IllegalStateException("handler failure (test)");
    }
    if (req.getParameter("dispatch") != null) {
      req.setAttribute("body", body);
      AsyncContext async = req.startAsync();
      async.start(async::dispatch);
      return;
    }
    if (req.getParameter("async") != null) {
      AsyncContext async = req.startAsync();
      async.start(() -> {
        HttpServletResponse r = (HttpServletResponse) async.getResponse();
        r.setStatus(bodies.put(req.getPathInfo(), body) == null ? 201 : 204);
        async.complete();
      });
      return;
    }
    try {
      if (!release.await(20, TimeUnit.SECONDS)) {
        resp.sendError(500);
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    resp.setStatus(bodies.put(req.getPathInfo(), body) == null ? 201 : 204);
  }
}
