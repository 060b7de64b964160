package dev.etagguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A collection of articles that knows nothing of ETags, for tests: {@code /articles/{id}} holds
 * a text body (GET, PUT: 201 or 204, DELETE: 204 or 404), {@code /articles} lists every article as
 * {@code id=body} lines, in id order. It counts the GETs it serves per path, internal GETs of the
 * guard included, so tests can tell whether a response came from the handler.
 *
 * <p>Query parameters of a PUT: {@code fail} stores the body and then answers 500 (a failure that
 * changed the resource), {@code throw} stores it and then throws, {@code hold} signals
 * {@link #writeEntered} and waits for {@link #releaseWrite} before storing.
 */
public class ArticlesServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  /** The articles by id; tests may change it directly to write behind the guard's back. */
  public final transient Map<String, String> items = new ConcurrentSkipListMap<>();

  /** Counted down when a PUT with {@code hold} has entered the handler. */
  public final transient CountDownLatch writeEntered = new CountDownLatch(1);

  /** Counted down by the test to let a PUT with {@code hold} store its body. */
  public final transient CountDownLatch releaseWrite = new CountDownLatch(1);

  private final transient Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();

  /** How many GETs of {@code path} (within the context) the handler has served. */
  public int gets(String path) {
    AtomicInteger n = gets.get(path);
    return n == null ? 0 : n.get();
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getPathInfo() == null ? req.getServletPath() : req.getServletPath() + req.getPathInfo();
    if ("/articles".equals(path)) {
      if (!"GET".equals(req.getMethod())) {
        resp.sendError(405);
        return;
      }
      gets.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      StringBuilder listing = new StringBuilder();
      items.forEach((id, body) -> listing.append(id).append('=').append(body).append('\n'));
      write(resp, listing.toString());
      return;
    }
    if (!path.startsWith("/articles/") || path.indexOf('/', "/articles/".length()) >= 0) {
      resp.sendError(404);
      return;
    }
    String id = path.substring("/articles/".length());
    switch (req.getMethod()) {
      case "GET" -> {
        gets.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        String body = items.get(id);
        if (body == null) {
          resp.sendError(404);
        } else {
          write(resp, body);
        }
      }
      case "PUT" -> put(req, resp, id);
      case "DELETE" -> resp.setStatus(items.remove(id) != null ? 204 : 404);
      default -> resp.sendError(405);
    }
  }

  private void put(HttpServletRequest req, HttpServletResponse resp, String id) throws IOException {
    String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (req.getParameter("hold") != null) {
      writeEntered.countDown();
      try {
        if (!releaseWrite.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the write");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    boolean created = items.put(id, body) == null;
    if (req.getParameter("throw") != null) {
      throw new IllegalStateException("handler failure after storing (test)");
    }
    resp.setStatus(req.getParameter("fail") != null ? 500 : created ? 201 : 204);
  }

  private static void write(HttpServletResponse resp, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    resp.setContentType("text/plain;charset=UTF-8");
    resp.setContentLength(bytes.length);
    resp.getOutputStream().write(bytes);
  }
}
