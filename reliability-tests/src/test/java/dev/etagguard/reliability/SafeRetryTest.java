package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Http;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Safe retries (option {@code retryRecognition}): a conditional write succeeds, its answer is
 * dropped on the floor (the client sends it over a raw socket and closes without reading), and the
 * client sends the identical request again. The retry gets the original success, not 412, and the
 * handler does not run again; anything that is not the same request on the same state still gets
 * 412.
 */
class SafeRetryTest {

  /** The test-jar's resource servlet, counting the writes it runs. */
  static class CountingServlet extends ResourceServlet {
    private static final long serialVersionUID = 1L;
    final transient AtomicInteger writes = new AtomicInteger();

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      if (!"GET".equals(req.getMethod()) && !"HEAD".equals(req.getMethod())) {
        writes.incrementAndGet();
      }
      super.service(req, resp);
    }
  }

  /** Sends a request and closes the connection once the write is applied, never reading the answer. */
  private static void sendAndDropAnswer(GuardedServer server, CountingServlet servlet, String method, String path,
      String body, String... headers) throws Exception {
    int before = servlet.writes.get();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
      StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      for (int i = 0; i < headers.length; i += 2) {
        head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      byte[] content = body.getBytes(StandardCharsets.UTF_8);
      head.append("Content-Length: ").append(content.length).append("\r\nConnection: close\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (servlet.writes.get() == before && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(servlet.writes.get()).as("the first attempt reached the handler").isEqualTo(before + 1);
    }
    assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(20))).isZero();
  }

  private static GuardedServer start(GuardedServer.Adapter adapter, boolean recognition, CountingServlet servlet)
      throws Exception {
    return GuardedServer.start(adapter, GuardSettings.builder().guardedPaths("/docs/*")
        .retryRecognition(recognition).build(), servlet);
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aRetriedPutThatAlreadySucceededGetsItsSuccessBack(GuardedServer.Adapter adapter) throws Exception {
    CountingServlet servlet = new CountingServlet();
    try (GuardedServer server = start(adapter, true, servlet)) {
      URI doc = server.uri("/docs/a");
      assertThat(put(doc, "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String v1 = header(get(doc), "ETag");

      sendAndDropAnswer(server, servlet, "PUT", "/docs/a", "v2 from Bob", "If-Match", v1);
      int writes = servlet.writes.get();
      HttpResponse<byte[]> retry = put(doc, "v2 from Bob", "If-Match", v1);
      assertThat(retry.statusCode()).as("the retry is told its write succeeded").isEqualTo(204);
      assertThat(servlet.writes.get()).as("the handler did not run again").isEqualTo(writes);
      HttpResponse<byte[]> now = get(doc);
      assertThat(text(now)).isEqualTo("v2 from Bob");
      String v2 = header(now, "ETag");
      assertThat(header(retry, "ETag")).as("with the ETag the write produced").isEqualTo(v2);

      assertThat(put(doc, "v2 from Mary", "If-Match", v1).statusCode()).as("other content: a lost update prevented")
          .isEqualTo(412);
      assertThat(put(doc, "v2 from Bob", "If-Match", v1, "If-None-Match", "\"x\"").statusCode())
          .as("other preconditions").isEqualTo(412);
      assertThat(text(get(doc))).isEqualTo("v2 from Bob");

      // Someone else writes: the same retry now is a stale write.
      assertThat(put(doc, "v3 from Mary", "If-Match", v2).statusCode()).isEqualTo(204);
      assertThat(put(doc, "v2 from Bob", "If-Match", v1).statusCode()).isEqualTo(412);
      assertThat(text(get(doc))).isEqualTo("v3 from Mary");
      assertThat(server.engine().sequencer().heldPermits()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aRetriedDeleteAndCreateAreRecognized(GuardedServer.Adapter adapter) throws Exception {
    CountingServlet servlet = new CountingServlet();
    try (GuardedServer server = start(adapter, true, servlet)) {
      URI doc = server.uri("/docs/b");
      sendAndDropAnswer(server, servlet, "PUT", "/docs/b", "created", "If-None-Match", "*");
      assertThat(put(doc, "created", "If-None-Match", "*").statusCode()).as("a retried create").isEqualTo(201);
      assertThat(put(doc, "created twice", "If-None-Match", "*").statusCode()).isEqualTo(412);
      String tag = header(get(doc), "ETag");

      sendAndDropAnswer(server, servlet, "DELETE", "/docs/b", "", "If-Match", tag);
      int writes = servlet.writes.get();
      assertThat(Http.delete(doc, "If-Match", tag).statusCode()).as("a retried delete").isEqualTo(204);
      assertThat(servlet.writes.get()).isEqualTo(writes);
      assertThat(get(doc).statusCode()).isEqualTo(404);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void clientsThatCanBeToldApartAreNotTakenForARetry(GuardedServer.Adapter adapter) throws Exception {
    CountingServlet servlet = new CountingServlet();
    try (GuardedServer server = start(adapter, true, servlet)) {
      URI doc = server.uri("/docs/d");
      assertThat(put(doc, "0", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String v0 = header(get(doc), "ETag");
      assertThat(put(doc, "1", "If-Match", v0, "Cookie", "session=bob").statusCode()).isEqualTo(204);
      int writes = servlet.writes.get();
      for (String[] other : List.of(new String[] {"Cookie", "session=mary"},
          new String[] {"Authorization", "Basic bWFyeTpzZWNyZXQ="}, new String[] {"Idempotency-Key", "mary-1"})) {
        assertThat(put(doc, "1", "If-Match", v0, other[0], other[1]).statusCode())
            .as("the same write from another client (%s) is a stale write", other[0]).isEqualTo(412);
      }
      assertThat(put(doc, "1", "If-Match", v0, "Cookie", "session=bob").statusCode()).as("Bob's retry").isEqualTo(204);
      assertThat(servlet.writes.get()).isEqualTo(writes);
      // Without anything that tells clients apart, byte-identical writes are one request to HTTP:
      // the second is answered as the first (PUT is idempotent), the counter moves once.
      String v1 = header(get(doc), "ETag");
      assertThat(put(doc, "2", "If-Match", v1).statusCode()).isEqualTo(204);
      assertThat(put(doc, "2", "If-Match", v1).statusCode()).isEqualTo(204);
      assertThat(text(get(doc))).isEqualTo("2");
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void withoutTheOptionARetryGets412(GuardedServer.Adapter adapter) throws Exception {
    CountingServlet servlet = new CountingServlet();
    try (GuardedServer server = start(adapter, false, servlet)) {
      URI doc = server.uri("/docs/c");
      assertThat(put(doc, "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String v1 = header(get(doc), "ETag");
      sendAndDropAnswer(server, servlet, "PUT", "/docs/c", "v2", "If-Match", v1);
      assertThat(put(doc, "v2", "If-Match", v1).statusCode()).isEqualTo(412);
      assertThat(Arrays.asList(text(get(doc)))).isEqualTo(List.of("v2"));
    }
  }
  /** The resource servlet, but a PUT with {@code ?v=VALUE} stores VALUE and reads no content. */
  static final class QueryServlet extends CountingServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      String v = req.getQueryString() != null && req.getQueryString().startsWith("v=")
          ? req.getQueryString().substring(2) : null;
      if ("PUT".equals(req.getMethod()) && v != null) {
        writes.incrementAndGet();
        store.put(req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo()),
            v.getBytes(StandardCharsets.UTF_8));
        resp.setStatus(204);
        return;
      }
      super.service(req, resp);
    }
  }

  /** Stores the {@code title} of a form that a filter in front of it parsed, as Spring's FormContentFilter does. */
  static final class FormServlet extends CountingServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      Object title = req.getAttribute(FormFilter.TITLE);
      if ("PUT".equals(req.getMethod()) && title != null) {
        writes.incrementAndGet();
        store.put(req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo()),
            title.toString().getBytes(StandardCharsets.UTF_8));
        resp.setStatus(204);
        return;
      }
      super.service(req, resp);
    }
  }

  /** Reads a PUT form's content before anything behind it, and hands its title on as an attribute. */
  static final class FormFilter implements jakarta.servlet.Filter {
    static final String TITLE = "form.title";

    @Override
    public void doFilter(jakarta.servlet.ServletRequest request, jakarta.servlet.ServletResponse response,
        jakarta.servlet.FilterChain chain) throws IOException, jakarta.servlet.ServletException {
      String type = request.getContentType();
      if (type != null && type.startsWith("application/x-www-form-urlencoded")) {
        String form = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        for (String pair : form.split("&")) {
          if (pair.startsWith("title=")) {
            request.setAttribute(TITLE, java.net.URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8));
          }
        }
      }
      chain.doFilter(request, response);
    }
  }

  /** Defect: a query-driven write with a stale If-Match was answered as a retry of another, and never applied. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aWriteThatDiffersOnlyInItsQueryIsNotARetry(GuardedServer.Adapter adapter) throws Exception {
    QueryServlet servlet = new QueryServlet();
    try (GuardedServer server = start(adapter, true, servlet)) {
      URI doc = server.uri("/docs/q");
      assertThat(put(doc, "draft", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String t = header(get(doc), "ETag");
      assertThat(put(server.uri("/docs/q?v=archived"), "", "If-Match", t).statusCode()).isEqualTo(204);
      assertThat(text(get(doc))).isEqualTo("archived");

      HttpResponse<byte[]> stale = put(server.uri("/docs/q?v=published"), "", "If-Match", t);
      assertThat(stale.statusCode()).as("another write on a stale tag").isEqualTo(412);
      assertThat(text(get(doc))).isEqualTo("archived");

      int writes = servlet.writes.get();
      assertThat(put(server.uri("/docs/q?v=archived"), "", "If-Match", t).statusCode()).as("the same write again")
          .isEqualTo(204);
      assertThat(servlet.writes.get()).isEqualTo(writes);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, java.time.Duration.ofSeconds(10))).isZero();
    }
  }

  /** Defect: the same bytes with another Content-Type were answered as a retry. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aWriteWithOtherContentMetadataIsNotARetry(GuardedServer.Adapter adapter) throws Exception {
    CountingServlet servlet = new CountingServlet();
    try (GuardedServer server = start(adapter, true, servlet)) {
      URI doc = server.uri("/docs/m");
      assertThat(put(doc, "0", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String v0 = header(get(doc), "ETag");
      assertThat(put(doc, "{\"a\":1}", "If-Match", v0, "Content-Type", "application/json").statusCode())
          .isEqualTo(204);
      int writes = servlet.writes.get();
      for (String[] other : List.of(new String[] {"Content-Type", "text/plain"},
          new String[] {"Content-Type", "application/json; charset=utf-16"},
          new String[] {"Content-Language", "de"})) {
        String[] headers = other[0].equals("Content-Type") ? new String[] {"If-Match", v0, other[0], other[1]}
            : new String[] {"If-Match", v0, "Content-Type", "application/json", other[0], other[1]};
        assertThat(put(doc, "{\"a\":1}", headers).statusCode()).as("%s: %s", other[0], other[1]).isEqualTo(412);
      }
      assertThat(put(doc, "{\"a\":1}", "If-Match", v0, "Content-Type", "application/json").statusCode())
          .as("the retry").isEqualTo(204);
      assertThat(servlet.writes.get()).isEqualTo(writes);
    }
  }

  /** Option retryClientFields: a custom authentication field tells clients apart. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void retryClientFieldsTellClientsApart(GuardedServer.Adapter adapter) throws Exception {
    CountingServlet servlet = new CountingServlet();
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().guardedPaths("/docs/*")
        .retryRecognition(true).retryClientFields("X-User").build(), servlet)) {
      URI doc = server.uri("/docs/u");
      assertThat(put(doc, "0", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String v0 = header(get(doc), "ETag");
      assertThat(put(doc, "1", "If-Match", v0, "X-User", "bob").statusCode()).isEqualTo(204);
      assertThat(put(doc, "1", "If-Match", v0, "X-User", "mary").statusCode()).as("Mary's stale write")
          .isEqualTo(412);
      assertThat(put(doc, "1", "If-Match", v0).statusCode()).as("a write without the field").isEqualTo(412);
      assertThat(put(doc, "1", "If-Match", v0, "X-User", "bob").statusCode()).as("Bob's retry").isEqualTo(204);
    }
  }

  /**
   * Defect: a filter in front of the guard consumed a form's content, so the guard saw none in
   * either write, and a second tab's stale write with another title was answered as a retry.
   * Behind the valve and the Jetty handler the filter reads through the guard, which sees the
   * content; in front of the filter adapters it does not, and nothing is recognized.
   */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void contentConsumedBeforeTheGuardIsNeverTakenForARetry(GuardedServer.Adapter adapter) throws Exception {
    FormServlet servlet = new FormServlet();
    GuardSettings settings = GuardSettings.builder().guardedPaths("/docs/*").retryRecognition(true).build();
    try (GuardedServer server = GuardedServer.start(adapter, dev.etagguard.GuardEngine.create(settings), servlet,
        java.util.Map.of(), false, new FormFilter())) {
      URI doc = server.uri("/docs/f");
      assertThat(put(doc, "untitled", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String t = header(get(doc), "ETag");
      String form = "application/x-www-form-urlencoded";
      assertThat(put(doc, "title=Bob", "If-Match", t, "Content-Type", form).statusCode()).isEqualTo(204);
      assertThat(text(get(doc))).isEqualTo("Bob");
      assertThat(put(doc, "title=Mary", "If-Match", t, "Content-Type", form).statusCode())
          .as("the second tab's stale write").isEqualTo(412);
      assertThat(text(get(doc))).isEqualTo("Bob");
      boolean guardSawIt = adapter == GuardedServer.Adapter.JETTY_HANDLER || adapter == GuardedServer.Adapter.TOMCAT_VALVE;
      assertThat(put(doc, "title=Bob", "If-Match", t, "Content-Type", form).statusCode())
          .as("the identical retry, recognized only where the guard saw the content").isEqualTo(guardSawIt ? 204 : 412);
      assertThat(text(get(doc))).isEqualTo("Bob");
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, java.time.Duration.ofSeconds(10))).isZero();
    }
  }

  /** Chunked content declares no length, so the guard cannot tell it saw all of it: never a retry. */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void chunkedContentIsNeverTakenForARetry(GuardedServer.Adapter adapter) throws Exception {
    CountingServlet servlet = new CountingServlet();
    try (GuardedServer server = start(adapter, true, servlet)) {
      URI doc = server.uri("/docs/chunked");
      assertThat(put(doc, "0", "If-None-Match", "*").statusCode()).isEqualTo(201);
      String v0 = header(get(doc), "ETag");
      java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
      java.util.function.Supplier<java.net.http.HttpRequest> chunked = () -> java.net.http.HttpRequest.newBuilder(doc)
          .header("If-Match", v0)
          .PUT(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
              () -> new java.io.ByteArrayInputStream("chunked".getBytes(StandardCharsets.UTF_8))))
          .build();
      assertThat(client.send(chunked.get(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
      assertThat(text(get(doc))).isEqualTo("chunked");
      int writes = servlet.writes.get();
      assertThat(client.send(chunked.get(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(412);
      assertThat(servlet.writes.get()).isEqualTo(writes);
    }
  }
}
