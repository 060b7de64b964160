package dev.etagguard.http;

import java.time.Instant;
import java.util.List;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * The conditional headers of one request, parsed once (RFC 9110 13.1): If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since, If-Range, and whether Range is present.
 *
 * <p>A {@code null} component means the header is absent or, for the two date headers, invalid
 * or multi-valued, which RFC 9110 13.1.3 and 13.1.4 say to ignore. Immutable.
 *
 * @param ifMatch If-Match, or {@code null}
 * @param ifUnmodifiedSince a valid If-Unmodified-Since date, or {@code null}
 * @param ifNoneMatch If-None-Match, or {@code null}
 * @param ifModifiedSince a valid If-Modified-Since date, or {@code null}
 * @param ifRange If-Range, or {@code null}
 * @param range the Range field value when exactly one field line is present, or {@code null}
 * @since 0.1
 */
public record RequestConditions(
    @Nullable EntityTagCondition ifMatch,
    @Nullable Instant ifUnmodifiedSince,
    @Nullable EntityTagCondition ifNoneMatch,
    @Nullable Instant ifModifiedSince,
    @Nullable IfRange ifRange,
    @Nullable String range) {

  /** A request without conditional headers. */
  public static final RequestConditions NONE = new RequestConditions(null, null, null, null, null, null);

  /**
   * Reads the conditional headers through {@code headers}, which returns every field line of a
   * header name (case-insensitive), in order, or an empty list.
   */
  public static RequestConditions from(Function<String, List<String>> headers) {
    List<String> range = headers.apply("Range");
    RequestConditions c = new RequestConditions(
        EntityTags.parse(headers.apply("If-Match")),
        HttpDates.parse(headers.apply("If-Unmodified-Since")),
        EntityTags.parse(headers.apply("If-None-Match")),
        HttpDates.parse(headers.apply("If-Modified-Since")),
        IfRange.parse(headers.apply("If-Range")),
        range.size() == 1 ? range.get(0) : null);
    return c.isEmpty() ? NONE : c;
  }

  /** Whether the request carries no conditional header and no Range. */
  public boolean isEmpty() {
    return ifMatch == null && ifUnmodifiedSince == null && ifNoneMatch == null
        && ifModifiedSince == null && ifRange == null && range == null;
  }

  /**
   * Whether the request carries a lost-update precondition for a write (RFC 6585 section 3):
   * If-Match, a valid If-Unmodified-Since, or If-None-Match. If-Modified-Since and If-Range do
   * not apply to writes.
   */
  public boolean hasWritePrecondition() {
    return ifMatch != null || ifUnmodifiedSince != null || ifNoneMatch != null;
  }

  /**
   * Whether a GET or HEAD carries a precondition that RFC 9110 13.2.2 may answer with 304 or 412
   * before the method is performed: If-Match, a valid If-Unmodified-Since, If-None-Match or a
   * valid If-Modified-Since. If-Range only decides whether Range applies.
   */
  public boolean hasReadPrecondition() {
    return ifMatch != null || ifUnmodifiedSince != null || ifNoneMatch != null || ifModifiedSince != null;
  }

  /** Whether If-Match or If-None-Match could not be parsed. */
  public boolean hasMalformedTags() {
    return ifMatch instanceof EntityTagCondition.Malformed || ifNoneMatch instanceof EntityTagCondition.Malformed;
  }
}
