package dev.etagguard;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import dev.etagguard.http.HttpDates;
import dev.etagguard.http.RequestConditions;

/**
 * Request headers written the way a spec table shows them: {@code Name: value} field lines joined
 * by {@code " ; "}, one element per field line, in order ({@code If-Match: "a" ; If-Match: "b"} is
 * two field lines). Blank or {@code null} means no header at all. Placeholders {@code {lm}},
 * {@code {lm-1s}} and {@code {lm+1s}} stand for {@link #LM} and a second either side.
 */
final class HeaderSpec {

  /** The Last-Modified time of the tables' resources: sub-second precision on purpose. */
  static final Instant LM = Instant.parse("2024-05-15T10:00:00.500Z");

  private HeaderSpec() {
  }

  /** The field lines by lower-case name. */
  static Map<String, List<String>> parse(String spec) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (spec == null || spec.isBlank()) {
      return headers;
    }
    for (String line : spec.split(" ; ")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("Not 'Name: value': " + line);
      }
      String value = substitute(line.substring(colon + 1).strip());
      headers.computeIfAbsent(line.substring(0, colon).strip(), k -> new ArrayList<>()).add(value);
    }
    return headers;
  }

  /** The parsed conditions of a header spec. */
  static RequestConditions conditions(String spec) {
    return RequestConditions.from(lookup(parse(spec)));
  }

  /** A header lookup over a map of field lines: case-insensitive, empty list when absent. */
  static Function<String, List<String>> lookup(Map<String, List<String>> headers) {
    Map<String, List<String>> ci = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    ci.putAll(headers);
    return name -> ci.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
  }

  private static String substitute(String value) {
    return value
        .replace("{lm-1s}", HttpDates.format(LM.minusSeconds(1)))
        .replace("{lm+1s}", HttpDates.format(LM.plusSeconds(1)))
        .replace("{lm}", HttpDates.format(LM));
  }
}
