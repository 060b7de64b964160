package dev.etagguard.spi;

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
}
