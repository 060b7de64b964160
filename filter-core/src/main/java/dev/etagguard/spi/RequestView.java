package dev.etagguard.spi;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The engine's read-only view of an HTTP request, implemented by each adapter over its host's
 * request type.
 *
 * @since 0.1
 */
public interface RequestView {

  /** The request method, upper case as sent (methods are case-sensitive, RFC 9110 9.1). */
  String method();

  /**
   * The request path within the application, no query, without the context path of a servlet
   * application: the path the host maps the request to (escapes decoded, dot segments and path
   * parameters removed by the host), percent-encoded with {@link
   * dev.etagguard.support.Builtins#encodePath}, so that every spelling the host serves as one
   * resource gives one path. A raw path as sent is accepted too: the built-in resolver normalizes
   * it (RFC 3986 6.2.2).
   */
  String path();

  /** The raw query string without {@code ?}, or {@code null}. */
  @Nullable String query();

  /** Every field line of a header, in order; empty when absent. Names are case-insensitive. */
  List<String> headers(String name);

  /**
   * The request's protocol as the server names it ({@code HTTP/1.1}, {@code HTTP/2.0}), or
   * {@code null} when the view does not know it. Only HTTP/1.x says that a request without
   * Content-Length and Transfer-Encoding has no content (RFC 9112 6.3); HTTP/2 and HTTP/3 send
   * content without either. Default {@code null}.
   *
   * @since 0.1
   */
  default @Nullable String protocol() {
    return null;
  }
}
