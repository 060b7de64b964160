package dev.etagguard.problem;

import org.jspecify.annotations.Nullable;

/**
 * An RFC 9457 problem detail, the body of every answer ETag Guard makes itself. Carries no stack
 * traces or server internals: the type, a short title, the status, a client-oriented detail and,
 * where useful, the normalized key of the resource.
 *
 * @param type a URI naming the problem type (documented in the README)
 * @param title a short, fixed summary of the type
 * @param status the HTTP status code
 * @param detail an explanation specific to this occurrence
 * @param key the resource key, or {@code null}
 * @see <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a>
 * @since 0.1
 */
public record Problem(String type, String title, int status, String detail, @Nullable String key) {

  /** The media type of problem bodies. */
  public static final String MEDIA_TYPE = "application/problem+json";

  /** The prefix of every problem type URI of this project. */
  public static final String TYPE_BASE = "https://etagguard.dev/problems/";

  /**
   * A problem of this project's: {@code type} is the last segment of its type URI under
   * {@link #TYPE_BASE}.
   */
  public static Problem of(String type, String title, int status, String detail, @Nullable String key) {
    return new Problem(TYPE_BASE + type, title, status, detail, key);
  }

  /** The problem as RFC 9457 JSON, UTF-8. */
  public byte[] toJson() {
    return ProblemWriter.toBytes(this);
  }
}
