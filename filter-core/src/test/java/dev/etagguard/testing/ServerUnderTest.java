package dev.etagguard.testing;

import java.net.URI;

/**
 * A real server on a loopback port that a test talks to over HTTP, whatever runs it (an
 * {@link EmbeddedServer}, or an adapter module's own test server); closing it stops it.
 */
public interface ServerUnderTest extends AutoCloseable {

  /** The base URI, {@code http://127.0.0.1:PORT}, without a trailing slash. */
  URI base();

  /** A URI of a path on this server. */
  default URI uri(String path) {
    return URI.create(base() + path);
  }

  /** Stops the server. */
  @Override
  void close();
}
