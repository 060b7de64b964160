package dev.etagguard.http;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The parsed If-Range header (RFC 9110 13.1.5): an entity tag, an HTTP-date, or an invalid value.
 *
 * <p>If-Range takes exactly one validator; several field lines or a value that is neither a tag
 * nor a date are {@link Invalid}, which never matches, so the full representation is sent.
 *
 * @since 0.1
 */
public sealed interface IfRange {

  /**
   * An entity-tag validator.
   *
   * @param tag the tag
   */
  record Tag(EntityTag tag) implements IfRange {
  }

  /**
   * A date validator.
   *
   * @param date the date
   */
  record Date(Instant date) implements IfRange {
  }

  /** A value that is neither one entity tag nor one HTTP-date. */
  record Invalid() implements IfRange {
  }

  /** Parses the field lines; {@code null} when there are none. */
  static @Nullable IfRange parse(List<String> fieldLines) {
    if (fieldLines.isEmpty()) {
      return null;
    }
    if (fieldLines.size() > 1) {
      return new Invalid();
    }
    String value = fieldLines.get(0);
    EntityTag tag = EntityTag.parseOrNull(value);
    if (tag != null) {
      return new Tag(tag);
    }
    Instant date = HttpDates.parse(value);
    return date != null ? new Date(date) : new Invalid();
  }
}
