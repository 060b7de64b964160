package dev.etagguard.http;

import org.jspecify.annotations.Nullable;

/**
 * A single byte range request (RFC 9110 14.1.2), resolved against a representation length.
 *
 * <p>Only one {@code bytes} range is served; a Range header with several ranges, another unit or
 * bad syntax is ignored (the server MAY ignore Range, RFC 9110 14.2), so the full representation
 * is sent. Immutable.
 *
 * @param first the first byte position, inclusive
 * @param last the last byte position, inclusive
 * @since 0.1
 */
public record ByteRange(long first, long last) {

  /** Checks the bounds. */
  public ByteRange {
    if (first < 0 || last < first) {
      throw new IllegalArgumentException("Invalid byte range " + first + "-" + last);
    }
  }

  /** How many bytes the range covers. */
  public long length() {
    return last - first + 1;
  }

  /** The Content-Range field value of a 206 response for a representation of {@code total} bytes. */
  public String contentRange(long total) {
    return "bytes " + first + '-' + last + '/' + total;
  }

  /** The Content-Range field value of a 416 response (RFC 9110 15.5.17). */
  public static String unsatisfiedContentRange(long total) {
    return "bytes */" + total;
  }

  /** The outcome of resolving a Range header against a length. */
  public sealed interface Resolution {
  }

  /** Serve the whole representation: no usable Range. */
  public record Ignore() implements Resolution {
  }

  /**
   * Serve this part with 206.
   *
   * @param range the satisfiable range
   */
  public record Partial(ByteRange range) implements Resolution {
  }

  /** Answer 416: the range starts past the end. */
  public record Unsatisfiable() implements Resolution {
  }

  /**
   * Resolves a Range field value against a representation of {@code length} bytes.
   *
   * @param value the Range field value, or {@code null}
   * @param length the representation length, {@code >= 0}
   */
  public static Resolution resolve(@Nullable String value, long length) {
    if (value == null) {
      return new Ignore();
    }
    String v = value.strip();
    if (v.length() > 200 || !v.regionMatches(true, 0, "bytes=", 0, 6)) {
      return new Ignore();
    }
    String spec = v.substring(6).strip();
    if (spec.indexOf(',') >= 0) {
      return new Ignore();
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new Ignore();
    }
    String a = spec.substring(0, dash).strip();
    String b = spec.substring(dash + 1).strip();
    long first;
    long last;
    if (a.isEmpty()) {
      // suffix-range: the last N bytes
      long n = number(b);
      if (n < 0) {
        return new Ignore();
      }
      if (n == 0) {
        return new Unsatisfiable();
      }
      if (length == 0) {
        // RFC 9110 14.1.1: a non-zero suffix-range is satisfiable even for an empty
        // representation, yet no byte range describes it: send the whole (empty) representation.
        return new Ignore();
      }
      first = Math.max(0, length - n);
      last = length - 1;
    } else {
      first = number(a);
      last = b.isEmpty() ? Long.MAX_VALUE : number(b);
      if (first < 0 || last < 0 || last < first) {
        return new Ignore();
      }
      if (first >= length) {
        return new Unsatisfiable();
      }
      last = Math.min(last, length - 1);
    }
    return new Partial(new ByteRange(first, last));
  }

  /** A non-negative decimal, or -1 when invalid or too large for a long. */
  private static long number(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }
}
