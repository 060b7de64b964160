package dev.etagguard.testing;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.Exchange;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * One storage shared by several application instances (the database behind a load balancer's
 * instances), fenced the way a handler should fence its write under a distributed permit: a write
 * carrying a fencing token smaller than the largest the resource has seen is refused, like
 * {@code UPDATE ... SET body = ?, fence = ? WHERE path = ? AND fence <= ?}. The {@link #servlet()}
 * it serves does not check whether its write was refused (it answers 204 regardless, as a handler
 * that ignores the row count would), so the guard's commit is what catches a stale writer.
 */
public final class FencedStorage {

  private record Entry(byte[] body, long fence) {
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Map<String, Gate> gates = new ConcurrentHashMap<>();
  private final AtomicInteger refused = new AtomicInteger();

  /** A point where the next write of a path stops until the test opens it. */
  public static final class Gate {
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch open = new CountDownLatch(1);

    /** Waits until a write has reached the gate. */
    public void awaitEntered() throws InterruptedException {
      if (!entered.await(60, TimeUnit.SECONDS)) {
        throw new AssertionError("No write reached the gate");
      }
    }

    /** Lets the write go on. */
    public void open() {
      open.countDown();
    }

    void pass() {
      entered.countDown();
      try {
        open.await(120, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Makes the next write of {@code path} wait, after reading its request, before it writes. */
  public Gate stallNextWrite(String path) {
    Gate gate = new Gate();
    gates.put(path, gate);
    return gate;
  }

  /** The stored body of a path, or {@code null}. */
  public byte[] read(String path) {
    Entry e = entries.get(path);
    return e == null ? null : e.body();
  }

  /** How many writes were refused for a stale fencing token. */
  public int refused() {
    return refused.get();
  }

  /**
   * Writes unless {@code token} is smaller than the resource's fence.
   *
   * @return {@code true} when created, {@code false} when replaced or refused
   */
  boolean write(String path, byte[] body, Long token) {
    boolean[] created = new boolean[1];
    entries.compute(path, (p, old) -> {
      long fence = old == null ? Long.MIN_VALUE : old.fence();
      if (token != null && token < fence) {
        refused.incrementAndGet();
        return old;
      }
      created[0] = old == null;
      return new Entry(body, token == null ? fence : Math.max(fence, token));
    });
    return created[0];
  }

  /** A servlet on this storage: GET, PUT (201 or 204), DELETE (204 or 404) on any path. */
  public HttpServlet servlet() {
    return new HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? req.getServletPath() : req.getServletPath() + req.getPathInfo();
        switch (req.getMethod()) {
          case "GET" -> {
            byte[] body = read(path);
            if (body == null) {
              resp.sendError(404);
              return;
            }
            resp.setContentType("text/plain");
            resp.getOutputStream().write(body);
          }
          case "PUT" -> {
            byte[] body = req.getInputStream().readAllBytes();
            Gate gate = gates.remove(path);
            if (gate != null) {
              gate.pass();
            }
            Long token = (Long) req.getAttribute(Exchange.FENCING_TOKEN_ATTRIBUTE);
            resp.setStatus(write(path, body, token) ? 201 : 204);
          }
          case "DELETE" -> resp.setStatus(entries.remove(path) != null ? 204 : 404);
          default -> resp.sendError(405);
        }
      }
    };
  }
}
