package dev.etagguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link HttpDates}: the HTTP-date of RFC 9110 5.6.7. */
class HttpDatesTest {

  private static final Instant RFC_EXAMPLE = Instant.parse("1994-11-06T08:49:37Z");

  /** The three examples of RFC 9110 5.6.7 denote one instant. */
  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "Sun, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994",
      "Sun Nov 06 08:49:37 1994",
      " Sun, 06 Nov 1994 08:49:37 GMT\t"})
  void theThreeFormatsOfTheRfcExample(String value) {
    assertThat(HttpDates.parse(value)).isEqualTo(RFC_EXAMPLE);
  }

  @ParameterizedTest(name = "[{index}] {0} = {1}")
  @CsvSource(delimiter = '|', textBlock = """
      Thu, 01 Jan 1970 00:00:00 GMT  | 1970-01-01T00:00:00Z
      Wed, 15 May 2024 10:00:00 GMT  | 2024-05-15T10:00:00Z
      Thu, 29 Feb 2024 23:59:59 GMT  | 2024-02-29T23:59:59Z
      Fri, 31 Dec 9999 23:59:59 GMT  | 9999-12-31T23:59:59Z
      Wednesday, 15-May-24 10:00:00 GMT | 2024-05-15T10:00:00Z
      Wed May 15 10:00:00 2024       | 2024-05-15T10:00:00Z
      Thu Feb 29 23:59:59 2024       | 2024-02-29T23:59:59Z
      Wed, 31 Dec 2025 23:59:60 GMT  | 2025-12-31T23:59:59Z
      """)
  void validDates(String value, Instant expected) {
    assertThat(HttpDates.parse(value)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] not an HTTP-date: <{0}>")
  @ValueSource(strings = {
      "", " ", "garbage", "0", "784111777", "1994-11-06T08:49:37Z",
      "sun, 06 nov 1994 08:49:37 gmt",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 06 Nov 1994 08:49:37 +0000",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 94 08:49:37 GMT",
      "Sun,  06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 8:49:37 GMT",
      "Sun, 06 Nov 1994 08:49 GMT",
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 31 Nov 1994 08:49:37 GMT",
      "Wed, 29 Feb 1995 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:37 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Sun, 06 Xyz 1994 08:49:37 GMT",
      "Foo, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMTX",
      "Sun, 06 Nov 1994 08:49:37 GMT\u0000",
      "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08-49-37 GMT",
      "Sun, 06 Nov 1994 08:49:37.5 GMT",
      "Sun, 06 Nov -994 08:49:37 GMT",
      "Sunday, 06-Nov-1994 08:49:37 GMT",
      "Sundae, 06-Nov-94 08:49:37 GMT",
      "Sunday, 06 Nov 94 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 UTC",
      "Sunday, 6-Nov-94 08:49:37 GMT",
      "Sun Nov 6 08:49:37 1994",
      "Sun Nov  6 08:49:37 94",
      "Sun Nov  6 08:49:37 1994 GMT",
      "Sun Xyz  6 08:49:37 1994",
      "Sun Nov 31 08:49:37 1994",
      "Sun Nov  6 25:49:37 1994"})
  void invalidValuesAreNotDates(String value) {
    assertThat(HttpDates.parse(value)).isNull();
  }

  @Test
  void nullIsNoDate() {
    assertThat(HttpDates.parse((String) null)).isNull();
  }

  /** RFC 9110 13.1.3, 13.1.4: a list of dates, or no field line, is not a date. */
  @Test
  void exactlyOneFieldLine() {
    String date = "Sun, 06 Nov 1994 08:49:37 GMT";
    assertThat(HttpDates.parse(List.of())).isNull();
    assertThat(HttpDates.parse(List.of(date))).isEqualTo(RFC_EXAMPLE);
    assertThat(HttpDates.parse(List.of(date, date))).isNull();
    assertThat(HttpDates.parse(List.of(date, "garbage"))).isNull();
    assertThat(HttpDates.parse(List.of("garbage"))).isNull();
  }

  /** A two-digit year more than 50 years in the future is in the past century (RFC 9110 5.6.7). */
  @Test
  void rfc850TwoDigitYearsAreWithinFiftyYearsAhead() {
    int thisYear = java.time.Year.now(java.time.ZoneOffset.UTC).getValue();
    Instant parsed = HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT");
    assertThat(parsed).isNotNull();
    int year = parsed.atZone(java.time.ZoneOffset.UTC).getYear();
    assertThat(year % 100).isEqualTo(94);
    assertThat(year).isBetween(thisYear - 49, thisYear + 50);
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      1970-01-01T00:00:00Z           | Thu, 01 Jan 1970 00:00:00 GMT
      1994-11-06T08:49:37Z           | Sun, 06 Nov 1994 08:49:37 GMT
      1994-11-06T08:49:37.999999999Z | Sun, 06 Nov 1994 08:49:37 GMT
      2000-02-29T12:05:09Z           | Tue, 29 Feb 2000 12:05:09 GMT
      0999-01-01T00:00:00Z           | Tue, 01 Jan 0999 00:00:00 GMT
      9999-12-31T23:59:59Z           | Fri, 31 Dec 9999 23:59:59 GMT
      """)
  void formatsImfFixdateTruncatedToTheSecond(Instant instant, String expected) {
    assertThat(HttpDates.format(instant)).isEqualTo(expected);
    assertThat(HttpDates.parse(expected)).isEqualTo(instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  @Test
  void yearsBeyondFourDigitsCannotBeFormatted() {
    assertThatIllegalArgumentException().isThrownBy(() -> HttpDates.format(Instant.parse("+10000-01-01T00:00:00Z")));
    assertThatIllegalArgumentException().isThrownBy(() -> HttpDates.format(Instant.parse("-0001-01-01T00:00:00Z")));
  }
}
