package dev.etagguard.http;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The state of a resource as the precondition evaluation sees it (RFC 9110 8.8): whether a
 * current representation exists, and its entity tag and last-modification time, each optional.
 *
 * <p>{@code lastModified} keeps full precision; comparisons with HTTP-dates use whole seconds.
 * An HTTP-date has one-second resolution, so two versions changed within one second share their
 * Last-Modified date: {@code weakLastModified} marks a version whose date another version may
 * share (RFC 9110 8.8.2.2). Such a date cannot prove which version a client saw, so
 * If-Unmodified-Since with exactly that second fails, If-Modified-Since with it counts as
 * modified, and If-Range with it does not match.
 *
 * @param exists whether the target resource has a current representation
 * @param etag the current entity tag, if known
 * @param lastModified the current last-modification time, if known
 * @param weakLastModified whether another version may share the Last-Modified second
 * @since 0.1
 */
public record Validators(boolean exists, @Nullable EntityTag etag, @Nullable Instant lastModified,
    boolean weakLastModified) {

  /** No current representation (404 or 410). */
  public static final Validators ABSENT = new Validators(false, null, null);

  /** A representation that exists and has no validators at all. */
  public static final Validators NONE = new Validators(true, null, null);

  /** Checks that an absent resource has no validators. */
  public Validators {
    if (!exists && (etag != null || lastModified != null)) {
      throw new IllegalArgumentException("An absent resource has no validators");
    }
    if (lastModified == null) {
      weakLastModified = false;
    }
  }

  /** Validators whose Last-Modified (if any) identifies one version. */
  public Validators(boolean exists, @Nullable EntityTag etag, @Nullable Instant lastModified) {
    this(exists, etag, lastModified, false);
  }

  /** Equal components; the same instance answers at once. */
  @Override
  public boolean equals(Object o) {
    return this == o || o instanceof Validators v && exists == v.exists && weakLastModified == v.weakLastModified
        && Objects.equals(etag, v.etag) && Objects.equals(lastModified, v.lastModified);
  }

  @Override
  public int hashCode() {
    return Objects.hash(exists, etag, lastModified, weakLastModified);
  }

  /** These validators with {@link #weakLastModified()} set as given. */
  public Validators withWeakLastModified(boolean weak) {
    return weak == weakLastModified ? this : new Validators(exists, etag, lastModified, weak);
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
