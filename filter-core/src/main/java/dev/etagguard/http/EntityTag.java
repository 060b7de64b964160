package dev.etagguard.http;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * An entity tag, the opaque validator of RFC 9110 section 8.8.3: {@code "opaque"} (strong) or
 * {@code W/"opaque"} (weak).
 *
 * <p>{@link #toString()} is the wire form. The opaque part holds only {@code etagc} characters
 * ({@code %x21 / %x23-7E / obs-text}); the constructor rejects anything else, so every instance
 * formats to a value that parses back to itself. Instances are immutable and thread-safe.
 *
 * @param opaque the characters between the quotes, without the quotes
 * @param weak whether the tag carries the {@code W/} weakness indicator
 * @see <a href="https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3">RFC 9110 8.8.3</a>
 * @since 0.1
 */
public record EntityTag(String opaque, boolean weak) {

  /** Validates the opaque part. */
  public EntityTag {
    Objects.requireNonNull(opaque, "opaque");
    for (int i = 0; i < opaque.length(); i++) {
      if (!isEtagc(opaque.charAt(i))) {
        throw new IllegalArgumentException("Invalid character at index " + i + " of entity tag: " + opaque);
      }
    }
  }

  /** A strong tag with the given opaque part. */
  public static EntityTag strong(String opaque) {
    return new EntityTag(opaque, false);
  }

  /** A weak tag with the given opaque part. */
  public static EntityTag weak(String opaque) {
    return new EntityTag(opaque, true);
  }

  /**
   * Parses one entity tag in wire form, surrounding whitespace allowed.
   *
   * @throws IllegalArgumentException if the value is not exactly one entity tag
   */
  public static EntityTag parse(String value) {
    EntityTag tag = parseOrNull(value);
    if (tag == null) {
      throw new IllegalArgumentException("Not an entity tag: " + value);
    }
    return tag;
  }

  /** Parses one entity tag in wire form, or returns {@code null} when the value is not one. */
  public static @Nullable EntityTag parseOrNull(@Nullable String value) {
    if (value == null) {
      return null;
    }
    int start = 0;
    int end = value.length();
    while (start < end && isOws(value.charAt(start))) {
      start++;
    }
    while (end > start && isOws(value.charAt(end - 1))) {
      end--;
    }
    boolean weak = false;
    if (end - start >= 2 && value.charAt(start) == 'W' && value.charAt(start + 1) == '/') {
      weak = true;
      start += 2;
    }
    if (end - start < 2 || value.charAt(start) != '"' || value.charAt(end - 1) != '"') {
      return null;
    }
    for (int i = start + 1; i < end - 1; i++) {
      if (!isEtagc(value.charAt(i))) {
        return null;
      }
    }
    return new EntityTag(value.substring(start + 1, end - 1), weak);
  }

  /**
   * Strong comparison (RFC 9110 8.8.3.2): both tags strong and the opaque parts equal,
   * character for character. Used by If-Match and If-Range.
   */
  public boolean strongMatch(EntityTag other) {
    return !weak && !other.weak && opaque.equals(other.opaque);
  }

  /**
   * Weak comparison (RFC 9110 8.8.3.2): the opaque parts equal, weakness ignored.
   * Used by If-None-Match.
   */
  public boolean weakMatch(EntityTag other) {
    return opaque.equals(other.opaque);
  }

  /** This tag with the weakness indicator set. */
  public EntityTag toWeak() {
    return weak ? this : new EntityTag(opaque, true);
  }

  /** Equal opaque parts and weakness; the same instance (a tag the guard reuses) answers at once. */
  @Override
  public boolean equals(Object o) {
    return this == o || o instanceof EntityTag t && weak == t.weak && opaque.equals(t.opaque);
  }

  @Override
  public int hashCode() {
    return opaque.hashCode() * 31 + (weak ? 1 : 0);
  }

  /** The wire form: {@code "opaque"} or {@code W/"opaque"}. */
  @Override
  public String toString() {
    return weak ? "W/\"" + opaque + '"' : '"' + opaque + '"';
  }

  /** {@code etagc = %x21 / %x23-7E / obs-text}, where obs-text is {@code %x80-FF}. */
  static boolean isEtagc(char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);
  }

  static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }
}
