package dev.etagguard.conformance.kit;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An UNGUARDED resource store on the JDK's HTTP server, over a real socket: GET, HEAD, PUT (201
 * or 204), DELETE (204 or 404) and POST (200) on any path, bodies kept byte for byte, every
 * conditional header ignored. With {@code validators} it sends a strong ETag (the body's SHA-256)
 * and a Last-Modified, as a server that has validators but never checks preconditions would.
 * Without {@code post}, POST is answered 405.
 */
final class PlainStore implements AutoCloseable {

  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
  private final boolean validators;
  private final boolean post;
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(16);

  PlainStore(boolean validators) throws IOException {
    this(validators, true);
  }

  /** A store that answers POST with 405 unless {@code post}. */
  PlainStore(boolean validators, boolean post) throws IOException {
    this.validators = validators;
    this.post = post;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  /** The base URI with a trailing slash. */
  URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream in = exchange.getRequestBody()) {
      String path = exchange.getRequestURI().getPath();
      byte[] request = in.readAllBytes();
      switch (exchange.getRequestMethod()) {
        case "GET", "HEAD" -> {
          byte[] body = bodies.get(path);
          if (body == null) {
            exchange.sendResponseHeaders(404, -1);
            return;
          }
          if (validators) {
            exchange.getResponseHeaders().set("ETag", '"' + sha256(body) + '"');
            exchange.getResponseHeaders().set("Last-Modified", DATE.format(Instant.parse("2026-01-01T00:00:00Z")));
          }
          boolean head = exchange.getRequestMethod().equals("HEAD");
          exchange.sendResponseHeaders(200, head ? -1 : body.length == 0 ? -1 : body.length);
          if (!head) {
            exchange.getResponseBody().write(body);
          }
        }
        case "PUT" -> exchange.sendResponseHeaders(bodies.put(path, request) == null ? 201 : 204, -1);
        case "DELETE" -> exchange.sendResponseHeaders(bodies.remove(path) == null ? 404 : 204, -1);
        case "POST" -> {
          if (!post) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD, PUT, DELETE");
            exchange.sendResponseHeaders(405, -1);
            return;
          }
          byte[] posted = "posted".getBytes(StandardCharsets.US_ASCII);
          exchange.sendResponseHeaders(200, posted.length);
          exchange.getResponseBody().write(posted);
        }
        default -> exchange.sendResponseHeaders(405, -1);
      }
    }
  }

  private static String sha256(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
