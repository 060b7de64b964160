package dev.etagguard;

import dev.etagguard.decision.Preconditions;
import dev.etagguard.decision.Outcome;
import dev.etagguard.decision.Requirement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.etagguard.http.ByteRange;
import dev.etagguard.http.EntityTag;
import dev.etagguard.http.EntityTagCondition;
import dev.etagguard.http.EntityTags;
import dev.etagguard.http.HttpDates;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Properties of the header parsers and the precondition engine over generated input: hostile
 * values never make them throw, valid values round-trip, and a malformed If-Match or
 * If-None-Match never authorizes an unsafe method.
 *
 * <p>The generator is a {@link Random} seeded per run. Every failure message names the seed;
 * rerun with {@code -Detagguard.seed=<seed>} to reproduce it.
 */
class HeaderPropertiesTest {

  private static final long SEED = Long.getLong("etagguard.seed", new Random().nextLong());

  private static final String[] HEADER_NAMES =
      {"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range"};
  private static final String[] METHODS =
      {"GET", "HEAD", "OPTIONS", "TRACE", "POST", "PUT", "PATCH", "DELETE", "PROPFIND", "put", ""};
  private static final String[] UNSAFE = {"POST", "PUT", "PATCH", "DELETE", "PROPFIND", "put"};
  private static final String[] TOKENS = {"\"", ",", "W/", "w/", "*", " ", "\t", ";", "=", "-", "bytes=", "GMT",
      "Sun, ", "Sunday, ", "Nov", " 06 ", "-94", "1994", "08:49:37", ":", "\r", "\n", "\u0000", "\u007f", "\u00ff",
      "\u0100", "\ud800", "\"\"", ",,", "W/\"", "*,", "0", "9", "99999999999999999999", "abc"};
  private static final long MAX_HTTP_DATE = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

  @BeforeAll
  static void announceSeed() {
    System.out.println("HeaderPropertiesTest seed: " + SEED + " (rerun with -Detagguard.seed=" + SEED + ")");
  }

  @Test
  void hostileHeadersNeverMakeTheEngineThrow() {
    Random rnd = random(1);
    for (int i = 0; i < 20_000; i++) {
      Map<String, List<String>> headers = randomHeaders(rnd);
      String method = METHODS[rnd.nextInt(METHODS.length)];
      Validators current = randomValidators(rnd);
      long length = randomLength(rnd);
      try {
        for (List<String> lines : headers.values()) {
          assertThat(EntityTags.parse(lines)).isNotNull();
          EntityTags.parse(lines, rnd.nextInt(5), rnd.nextInt(50));
          HttpDates.parse(lines);
          for (String line : lines) {
            checkEntityTagList(line);
            checkDate(line);
            checkRange(line, length);
            EntityTag.parseOrNull(line);
          }
        }
        RequestConditions conditions = RequestConditions.from(lookup(headers));
        assertThat(Preconditions.evaluate(method, conditions, current)).isNotNull();
        assertThat(Preconditions.require(method, conditions, rnd.nextBoolean(), rnd.nextBoolean())).isNotNull();
      } catch (Throwable t) {
        fail(context(i) + ": " + method + " " + describe(headers) + " on " + current + " (length " + length + ")", t);
      }
    }
  }

  /** A list that parses formats to a value that parses to the same list. */
  private static void checkEntityTagList(String line) {
    if (EntityTags.parse(line) instanceof EntityTagCondition.Tags tags) {
      String formatted = tags.toString();
      if (formatted.length() <= EntityTags.DEFAULT_MAX_LENGTH) {
        assertThat(EntityTags.parse(formatted)).isEqualTo(tags);
      }
    }
  }

  /** A parsed date is whole seconds and formats back to itself. */
  private static void checkDate(String line) {
    Instant date = HttpDates.parse(line);
    if (date != null) {
      assertThat(date.getNano()).isZero();
      assertThat(HttpDates.parse(HttpDates.format(date))).isEqualTo(date);
    }
  }

  /** A partial range lies within the representation. */
  private static void checkRange(String line, long length) {
    if (ByteRange.resolve(line, length) instanceof ByteRange.Partial partial) {
      assertThat(partial.range().first()).isBetween(0L, length - 1);
      assertThat(partial.range().last()).isBetween(partial.range().first(), length - 1);
    }
  }

  @Test
  void entityTagsRoundTrip() {
    Random rnd = random(2);
    for (int i = 0; i < 20_000; i++) {
      EntityTag tag = new EntityTag(randomOpaque(rnd), rnd.nextBoolean());
      String wire = tag.toString();
      assertThat(EntityTag.parse(wire)).as(context(i)).isEqualTo(tag);
      assertThat(EntityTag.parseOrNull(ows(rnd) + wire + ows(rnd))).as(context(i)).isEqualTo(tag);
      assertThat(EntityTags.parse(wire)).as(context(i))
          .isEqualTo(new EntityTagCondition.Tags(List.of(tag)));
    }
  }

  @Test
  void entityTagListsRoundTrip() {
    Random rnd = random(3);
    for (int i = 0; i < 5_000; i++) {
      List<EntityTag> tags = new ArrayList<>();
      int count = rnd.nextInt(EntityTags.DEFAULT_MAX_TAGS + 1);
      for (int t = 0; t < count; t++) {
        tags.add(new EntityTag(randomOpaque(rnd, 40), rnd.nextBoolean()));
      }
      EntityTagCondition.Tags expected = new EntityTagCondition.Tags(tags);
      assertThat(EntityTags.parse(expected.toString())).as(context(i)).isEqualTo(expected);
      // The same list as a client might send it: any separators, empty elements, several field lines.
      List<String> lines = new ArrayList<>();
      StringBuilder line = new StringBuilder();
      for (EntityTag tag : tags) {
        if (rnd.nextInt(4) == 0) {
          lines.add(line.toString());
          line.setLength(0);
        } else if (!line.isEmpty() || rnd.nextBoolean()) {
          line.append(ows(rnd)).append(',').append(rnd.nextInt(5) == 0 ? " ," : "").append(ows(rnd));
        }
        line.append(tag);
      }
      lines.add(line.append(rnd.nextBoolean() ? "" : ows(rnd) + ",").toString());
      int iteration = i;
      assertThat(EntityTags.parse(lines)).as(() -> context(iteration) + ": " + describe(lines)).isEqualTo(expected);
    }
  }

  @Test
  void httpDatesRoundTrip() {
    Random rnd = random(4);
    for (int i = 0; i < 20_000; i++) {
      Instant t = Instant.ofEpochSecond(rnd.nextLong(MAX_HTTP_DATE + 1));
      String imf = HttpDates.format(t);
      assertThat(HttpDates.parse(imf)).as(context(i) + ": " + imf).isEqualTo(t);
      assertThat(HttpDates.parse(List.of(imf))).as(context(i) + ": " + imf).isEqualTo(t);
      String asctime = asctime(t);
      assertThat(HttpDates.parse(asctime)).as(context(i) + ": " + asctime).isEqualTo(t);
      Instant withNanos = t.plusNanos(rnd.nextInt(1_000_000_000));
      assertThat(HttpDates.format(withNanos)).as(context(i)).isEqualTo(imf);
    }
  }

  @Test
  void aMalformedEntityTagHeaderNeverAuthorizesAnUnsafeMethod() {
    Random rnd = random(5);
    int malformed = 0;
    for (int i = 0; i < 20_000; i++) {
      List<String> lines = rnd.nextBoolean() ? randomLines(rnd) : List.of(corruptedList(rnd));
      if (!(EntityTags.parse(lines) instanceof EntityTagCondition.Malformed)) {
        continue;
      }
      malformed++;
      Map<String, List<String>> headers = randomHeaders(rnd);
      String header = rnd.nextBoolean() ? "If-Match" : "If-None-Match";
      headers.put(header, lines);
      String method = UNSAFE[rnd.nextInt(UNSAFE.length)];
      RequestConditions conditions = RequestConditions.from(lookup(headers));
      Validators current = randomValidators(rnd);
      int iteration = i;
      Supplier<String> what =
          () -> context(iteration) + ": " + method + " " + describe(headers) + " on " + current;
      for (boolean guarded : new boolean[] {true, false}) {
        for (boolean acceptAny : new boolean[] {true, false}) {
          assertThat(Preconditions.require(method, conditions, guarded, acceptAny)).as(what)
              .isNotEqualTo(Requirement.SATISFIED)
              .isEqualTo(Requirement.MALFORMED);
        }
      }
      assertThat(Preconditions.evaluate(method, conditions, current)).as(what)
          .isNotEqualTo(Outcome.PROCEED)
          .isEqualTo(Outcome.PRECONDITION_FAILED);
    }
    assertThat(malformed).as(context(-1) + ": malformed samples generated").isGreaterThan(5_000);
  }

  // Generators.

  private static Random random(int salt) {
    return new Random(SEED * 31 + salt);
  }

  private static String context(int iteration) {
    return "seed " + SEED + ", iteration " + iteration + " (-Detagguard.seed=" + SEED + ")";
  }

  private static Map<String, List<String>> randomHeaders(Random rnd) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String name : HEADER_NAMES) {
      if (rnd.nextInt(3) == 0) {
        headers.put(rnd.nextBoolean() ? name : name.toUpperCase(Locale.ROOT), randomLines(rnd));
      }
    }
    return headers;
  }

  private static Function<String, List<String>> lookup(Map<String, List<String>> headers) {
    return name -> headers.getOrDefault(name, List.of());
  }

  private static List<String> randomLines(Random rnd) {
    int count = rnd.nextInt(50) == 0 ? 50 + rnd.nextInt(200) : 1 + rnd.nextInt(4);
    List<String> lines = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      lines.add(randomValue(rnd));
    }
    return lines;
  }

  /** A value built from pieces that matter to the parsers, plus noise, sometimes very long. */
  static String randomValue(Random rnd) {
    StringBuilder sb = new StringBuilder();
    int pieces = rnd.nextInt(12);
    for (int p = 0; p < pieces; p++) {
      switch (rnd.nextInt(10)) {
        case 0, 1 -> sb.append(TOKENS[rnd.nextInt(TOKENS.length)]);
        case 2 -> sb.append(new EntityTag(randomOpaque(rnd, 12), rnd.nextBoolean()));
        case 3 -> sb.append((char) rnd.nextInt(0x10000));
        case 4 -> sb.append((char) rnd.nextInt(0x100));
        case 5 -> sb.append((char) rnd.nextInt(0x20));
        case 6 -> sb.append(HttpDates.format(Instant.ofEpochSecond(rnd.nextLong(MAX_HTTP_DATE + 1))));
        case 7 -> sb.append("bytes=").append(rnd.nextInt(200) - 50).append('-').append(rnd.nextInt(200));
        case 8 -> sb.append(rnd.nextLong());
        default -> {
          if (rnd.nextInt(20) == 0) {
            String unit = TOKENS[rnd.nextInt(TOKENS.length)];
            sb.append(unit.repeat(1 + rnd.nextInt(20_000 / Math.max(1, unit.length()))));
          } else {
            sb.append((char) (0x20 + rnd.nextInt(0x5f)));
          }
        }
      }
    }
    return sb.toString();
  }

  /** A valid list made invalid in one place. */
  private static String corruptedList(Random rnd) {
    List<String> members = new ArrayList<>();
    int count = 1 + rnd.nextInt(5);
    for (int i = 0; i < count; i++) {
      members.add(new EntityTag(randomOpaque(rnd, 10), rnd.nextBoolean()).toString());
    }
    int at = rnd.nextInt(count);
    String m = members.get(at);
    members.set(at, switch (rnd.nextInt(7)) {
      case 0 -> m.replace("\"", "");
      case 1 -> m.substring(0, m.length() - 1);
      case 2 -> m + "x";
      case 3 -> "*, " + m;
      case 4 -> m.replace("W/", "w/") + " \"y\"";
      case 5 -> m + (char) rnd.nextInt(0x20);
      default -> "\"" + (char) (0x100 + rnd.nextInt(0xff00)) + "\"";
    });
    return String.join(rnd.nextBoolean() ? ", " : ",", members);
  }

  /** {@code etagc} characters: %x21 / %x23-7E / obs-text. */
  private static String randomOpaque(Random rnd) {
    return randomOpaque(rnd, rnd.nextInt(20) == 0 ? 500 : 30);
  }

  private static String randomOpaque(Random rnd, int maxLength) {
    int n = rnd.nextInt(maxLength + 1);
    StringBuilder sb = new StringBuilder(n);
    while (sb.length() < n) {
      char c = (char) (0x21 + rnd.nextInt(0xFF - 0x21 + 1));
      if (c != '"' && (c <= 0x7E || c >= 0x80)) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String ows(Random rnd) {
    return switch (rnd.nextInt(4)) {
      case 0 -> "";
      case 1 -> " ";
      case 2 -> "\t";
      default -> " \t ";
    };
  }

  private static Validators randomValidators(Random rnd) {
    return switch (rnd.nextInt(4)) {
      case 0 -> Validators.ABSENT;
      case 1 -> Validators.NONE;
      default -> Validators.of(
          rnd.nextInt(4) == 0 ? null : new EntityTag(rnd.nextBoolean() ? "abc" : randomOpaque(rnd, 8), rnd.nextBoolean()),
          rnd.nextInt(4) == 0 ? null : Instant.ofEpochSecond(rnd.nextLong(MAX_HTTP_DATE + 1), rnd.nextInt(1_000_000_000)));
    };
  }

  private static long randomLength(Random rnd) {
    return switch (rnd.nextInt(5)) {
      case 0 -> 0;
      case 1 -> 1 + rnd.nextInt(200);
      case 2 -> Long.MAX_VALUE;
      default -> rnd.nextLong(Long.MAX_VALUE);
    };
  }

  /** {@code Sun Nov  6 08:49:37 1994}, the asctime form of RFC 9110 5.6.7. */
  private static String asctime(Instant t) {
    ZonedDateTime z = t.atZone(ZoneOffset.UTC);
    String[] days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    String[] months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return String.format(Locale.ROOT, "%s %s %2d %02d:%02d:%02d %04d",
        days[z.getDayOfWeek().ordinal()], months[z.getMonthValue() - 1],
        z.getDayOfMonth(), z.getHour(), z.getMinute(), z.getSecond(), z.getYear());
  }

  /** The headers with non-printable characters escaped, and long values cut. */
  private static String describe(Object headers) {
    String s = String.valueOf(headers);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 600; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format(Locale.ROOT, "\\u%04x", (int) c));
    }
    return s.length() > 600 ? sb + "...(" + s.length() + " chars)" : sb.toString();
  }
}
