package dev.etagguard.http;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * The state of a resource as the precondition evaluation sees it (RFC 9110 8.8): whether a
 * current representation exists, and its entity tag and last-modification time, each optional.
 *
 * <p>{@code lastModified} keeps full precision; comparisons with HTTP-dates use whole seconds.
 *
 * @param exists whether the target resource has a current representation
 * @param etag the current entity tag, if known
 * @param lastModified the current last-modification time, if known
 * @since 0.1
 */
public record Validators(boolean exists, @Nullable EntityTag etag, @Nullable Instant lastModified) {

  /** No current representation (404 or 410). */
  public static final Validators ABSENT = new Validators(false, null, null);

  /** A representation that exists and has no validators at all. */
  public static final Validators NONE = new Validators(true, null, null);

  /** Checks that an absent resource has no validators. */
  public Validators {
    if (!exists && (etag != null || lastModified != null)) {
      throw new IllegalArgumentException("An absent resource has no validators");
    }
  }

  /** An existing representation with the given validators, either may be {@code null}. */
  public static Validators of(@Nullable EntityTag etag, @Nullable Instant lastModified) {
    return new Validators(true, etag, lastModified);
  }

  /** The Last-Modified time in whole seconds since the epoch, the resolution of an HTTP-date. */
  public long lastModifiedSeconds() {
    if (lastModified == null) {
      throw new IllegalStateException("no Last-Modified");
    }
    return lastModified.getEpochSecond();
  }
}
