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
   * The request path within the application, as sent: percent-encoding kept, no query, and
   * without the context path of a servlet application.
   */
  String path();

  /** The raw query string without {@code ?}, or {@code null}. */
  @Nullable String query();

  /** Every field line of a header, in order; empty when absent. Names are case-insensitive. */
  List<String> headers(String name);
}
