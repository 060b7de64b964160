package dev.etagguard.spi;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The engine's read-only view of the response a handler produced, implemented by each adapter.
 *
 * @since 0.1
 */
public interface ResponseView {

  /** The status code the handler set. */
  int status();

  /** The first value of a response header, or {@code null}. Names are case-insensitive. */
  @Nullable String header(String name);

  /**
   * Every field line of a response header, in order; empty when absent. Names are
   * case-insensitive. Default: the {@linkplain #header first} alone.
   *
   * @since 0.1
   */
  default List<String> headers(String name) {
    String value = header(name);
    return value == null ? List.of() : List.of(value);
  }
}
