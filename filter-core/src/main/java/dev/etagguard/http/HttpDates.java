package dev.etagguard.http;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * HTTP-date parsing and formatting (RFC 9110 5.6.7).
 *
 * <p>Parses the preferred IMF-fixdate ({@code Sun, 06 Nov 1994 08:49:37 GMT}) and the two obsolete
 * forms, RFC 850 ({@code Sunday, 06-Nov-94 08:49:37 GMT}) and asctime ({@code Sun Nov  6 08:49:37 1994}),
 * strictly: anything else, including out-of-range fields, is "not a valid HTTP-date" and parses
 * to {@code null}. Formats IMF-fixdate only. Parsing never throws. Thread-safe.
 *
 * @since 0.1
 */
public final class HttpDates {

  private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  private static final String[] LONG_DAYS =
      {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  private static final String[] MONTHS =
      {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

  private HttpDates() {
  }

  /**
   * The date of a header that must hold exactly one HTTP-date (If-Modified-Since,
   * If-Unmodified-Since): {@code null} when there is no field line, more than one, or an invalid
   * value, all of which RFC 9110 13.1.3 and 13.1.4 say to ignore.
   */
  public static @Nullable Instant parse(List<String> fieldLines) {
    return fieldLines.size() == 1 ? parse(fieldLines.get(0)) : null;
  }

  /** Parses one HTTP-date in any of the three formats, or returns {@code null}. */
  public static @Nullable Instant parse(@Nullable String value) {
    if (value == null) {
      return null;
    }
    String v = value.strip();
    if (v.length() > 64) {
      return null;
    }
    if (v.length() == 29 && v.charAt(3) == ',') {
      return imfFixdate(v);
    }
    int comma = v.indexOf(',');
    if (comma > 3) {
      return rfc850(v, comma);
    }
    if (v.length() == 24) {
      return asctime(v);
    }
    return null;
  }

  /** {@code Sun, 06 Nov 1994 08:49:37 GMT} */
  private static @Nullable Instant imfFixdate(String v) {
    int dow = index(DAYS, v, 0);
    if (dow < 0 || v.charAt(4) != ' ' || v.charAt(7) != ' ' || v.charAt(11) != ' '
        || v.charAt(16) != ' ' || !v.endsWith(" GMT")) {
      return null;
    }
    int day = digits(v, 5, 2);
    int month = index(MONTHS, v, 8);
    int year = digits(v, 12, 4);
    return build(year, month, day, v, 17, dow);
  }

  /** {@code Sunday, 06-Nov-94 08:49:37 GMT} */
  private static @Nullable Instant rfc850(String v, int comma) {
    int dow = -1;
    for (int i = 0; i < LONG_DAYS.length; i++) {
      if (LONG_DAYS[i].length() == comma && v.startsWith(LONG_DAYS[i])) {
        dow = i;
      }
    }
    int p = comma + 1;
    if (dow < 0 || v.length() != p + 23 || v.charAt(p) != ' ' || v.charAt(p + 3) != '-'
        || v.charAt(p + 7) != '-' || v.charAt(p + 10) != ' ' || !v.endsWith(" GMT")) {
      return null;
    }
    int day = digits(v, p + 1, 2);
    int month = index(MONTHS, v, p + 4);
    int yy = digits(v, p + 8, 2);
    if (yy < 0) {
      return null;
    }
    // RFC 9110 5.6.7: a two-digit year more than 50 years in the future is in the past century.
    int thisYear = java.time.Year.now(ZoneOffset.UTC).getValue();
    int year = (thisYear / 100) * 100 + yy;
    if (year > thisYear + 50) {
      year -= 100;
    }
    return build(year, month, day, v, p + 11, dow);
  }

  /** {@code Sun Nov  6 08:49:37 1994} */
  private static @Nullable Instant asctime(String v) {
    int dow = index(DAYS, v, 0);
    if (dow < 0 || v.charAt(3) != ' ' || v.charAt(7) != ' ' || v.charAt(10) != ' ' || v.charAt(19) != ' ') {
      return null;
    }
    int month = index(MONTHS, v, 4);
    int day = v.charAt(8) == ' ' ? digits(v, 9, 1) : digits(v, 8, 2);
    int year = digits(v, 20, 4);
    return build(year, month, day, v, 11, dow);
  }

  private static @Nullable Instant build(int year, int month, int day, String v, int timeAt, int dow) {
    if (year < 0 || month < 0 || day < 1 || v.charAt(timeAt + 2) != ':' || v.charAt(timeAt + 5) != ':') {
      return null;
    }
    int hour = digits(v, timeAt, 2);
    int minute = digits(v, timeAt + 3, 2);
    int second = digits(v, timeAt + 6, 2);
    // 60 is allowed by the grammar for leap seconds; it is read as 59.
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
      return null;
    }
    try {
      LocalDateTime t = LocalDateTime.of(year, month + 1, day, hour, minute, Math.min(second, 59));
      // The day name is checked for spelling only: a wrong weekday does not change the instant.
      return t.toInstant(ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  private static int index(String[] names, String v, int at) {
    if (at + 3 > v.length()) {
      return -1;
    }
    for (int i = 0; i < names.length; i++) {
      if (v.startsWith(names[i], at)) {
        return i;
      }
    }
    return -1;
  }

  private static int digits(String v, int at, int count) {
    if (at + count > v.length()) {
      return -1;
    }
    int n = 0;
    for (int i = at; i < at + count; i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /** The last date formatted: a resource's Last-Modified repeats on every response. */
  private static volatile Formatted last = new Formatted(Long.MIN_VALUE, "");

  private record Formatted(long epochSecond, String text) {
  }

  /** Formats an instant as IMF-fixdate, truncated to the second. */
  public static String format(Instant instant) {
    Formatted f = last;
    if (f.epochSecond() == instant.getEpochSecond()) {
      return f.text();
    }
    String text = formatUncached(instant);
    last = new Formatted(instant.getEpochSecond(), text);
    return text;
  }

  private static String formatUncached(Instant instant) {
    ZonedDateTime t = instant.atZone(ZoneOffset.UTC);
    StringBuilder sb = new StringBuilder(29);
    sb.append(DAYS[t.getDayOfWeek().ordinal()]).append(", ");
    two(sb, t.getDayOfMonth());
    sb.append(' ').append(MONTHS[t.getMonthValue() - 1]).append(' ');
    int year = t.getYear();
    if (year < 0 || year > 9999) {
      throw new IllegalArgumentException("Year out of range for an HTTP-date: " + year);
    }
    sb.append((char) ('0' + year / 1000)).append((char) ('0' + year / 100 % 10));
    two(sb, year % 100);
    sb.append(' ');
    two(sb, t.getHour());
    sb.append(':');
    two(sb, t.getMinute());
    sb.append(':');
    two(sb, t.getSecond());
    return sb.append(" GMT").toString();
  }

  private static void two(StringBuilder sb, int n) {
    sb.append((char) ('0' + n / 10)).append((char) ('0' + n % 10));
  }
}
