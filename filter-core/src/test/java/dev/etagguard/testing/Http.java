package dev.etagguard.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A small HTTP client for tests: a request is a method, a URI, header field lines and a body. */
public final class Http {

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  private Http() {
  }

  /** Sends a request; each header maps to its field lines, sent as separate lines in order. */
  public static HttpResponse<byte[]> send(String method, URI uri, Map<String, List<String>> headers, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    headers.forEach((name, lines) -> lines.forEach(line -> b.header(name, line)));
    HttpRequest.BodyPublisher publisher = body == null || body.length == 0 && !"PUT".equals(method)
        && !"POST".equals(method) && !"PATCH".equals(method)
        ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(body);
    return CLIENT.send(b.method(method, publisher).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A GET with optional single-line headers given as name, value pairs. */
  public static HttpResponse<byte[]> get(URI uri, String... headers) throws IOException, InterruptedException {
    return send("GET", uri, pairs(headers), null);
  }

  /** A HEAD with optional single-line headers. */
  public static HttpResponse<byte[]> head(URI uri, String... headers) throws IOException, InterruptedException {
    return send("HEAD", uri, pairs(headers), null);
  }

  /** A PUT of a UTF-8 body with optional single-line headers. */
  public static HttpResponse<byte[]> put(URI uri, String body, String... headers) throws IOException, InterruptedException {
    return send("PUT", uri, pairs(headers), body.getBytes(StandardCharsets.UTF_8));
  }

  /** A DELETE with optional single-line headers. */
  public static HttpResponse<byte[]> delete(URI uri, String... headers) throws IOException, InterruptedException {
    return send("DELETE", uri, pairs(headers), null);
  }

  /** The body as UTF-8 text. */
  public static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  /** The first value of a response header, or null. */
  public static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  private static Map<String, List<String>> pairs(String... headers) {
    if (headers.length % 2 != 0) {
      throw new IllegalArgumentException("headers come in name, value pairs");
    }
    Map<String, List<String>> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i < headers.length; i += 2) {
      map.computeIfAbsent(headers[i], k -> new java.util.ArrayList<>()).add(headers[i + 1]);
    }
    return map;
  }
}
