package dev.etagguard;

import dev.etagguard.decision.Preconditions;
import dev.etagguard.decision.Outcome;
import dev.etagguard.decision.Requirement;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.etagguard.conformance.kit.ConformanceCase;
import dev.etagguard.conformance.kit.ConformanceCases;
import dev.etagguard.http.ByteRange;
import dev.etagguard.http.EntityTag;
import dev.etagguard.http.HttpDates;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared conformance cases ({@code conformance/cases.json}) run against the pure engine:
 * {@link Preconditions#require} then {@link Preconditions#evaluate}, with the status a handler of
 * the fixture would answer when the engine lets the request through. Placeholders are substituted
 * as {@code conformance/README.md} defines them.
 */
class EngineConformanceTest {

  /** The fixtures whose whole state is a {@link Validators}: the engine alone decides their rows. */
  private static final Set<String> ENGINE_FIXTURES = Set.of("RS", "RW", "RE", "RL", "R0", "RN", "RC", "RM");

  /**
   * Rows the pure engine cannot express, with the reason. They are for the HTTP-level suite. Kept
   * exact by {@link #everyRowIsRunOrListedHereWithAReason()}.
   */
  static final Map<String, String> NOT_RUN_AT_ENGINE_LEVEL = Map.ofEntries(
      entry("D18", "STATEFUL: the body changes between two requests; needs a live handler"),
      entry("H05", "RF: the ETag is generated from the body the handler writes"),
      entry("H06", "RF: whether HEAD gets a generated ETag depends on the handler's body"),
      entry("H08", "RH: the handler answers 403/302 itself; the guard must leave it alone"),
      entry("H09", "RH: the handler answers 301 with an ETag; a matching INM must not make it 304"),
      entry("H10", "RH: the handler answers 400 with an ETag; the guard must leave it alone"),
      entry("H11", "RH: streaming/empty/no-store responses get no ETag; depends on the response"));

  private static final Set<String> WRITES_UNDER_POLICY = Set.of("PUT", "PATCH", "DELETE");
  private static final long BODY_LENGTH = 100;
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private static final Instant LM = NOW.minus(Duration.ofHours(3));
  private static final EntityTag OTHER = EntityTag.strong("zz-other-9");
  private static final String INVALID_DATE = "not-a-date";
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{[a-z_]+(?:[+-]1[hd])?\\}");

  static Validators fixture(String name) {
    return switch (name) {
      case "RS" -> Validators.of(EntityTag.strong("abc123"), LM);
      case "RW" -> Validators.of(EntityTag.weak("abc123"), LM);
      case "RE" -> Validators.of(EntityTag.strong("abc123"), null);
      case "RL" -> Validators.of(null, LM);
      case "R0" -> Validators.NONE;
      case "RN" -> Validators.ABSENT;
      case "RC" -> Validators.of(EntityTag.strong("spring,framework"), LM);
      case "RM" -> Validators.of(EntityTag.strong("abc123"), LM.plusNanos(123_456_789));
      default -> throw new IllegalArgumentException("The engine cannot express fixture " + name);
    };
  }

  static Stream<ConformanceCase> engineRows() {
    return ConformanceCases.where(c -> !NOT_RUN_AT_ENGINE_LEVEL.containsKey(c.id()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engineRows")
  void row(ConformanceCase row) {
    Validators current = fixture(row.fixture());
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    row.headers().forEach((name, lines) ->
        headers.put(name, lines.stream().map(v -> substitute(v, current, row)).toList()));
    RequestConditions conditions = RequestConditions.from(name -> headers.getOrDefault(name, List.of()));

    boolean guarded = row.policy() && WRITES_UNDER_POLICY.contains(row.method());
    Requirement requirement = Preconditions.require(row.method(), conditions, guarded, true);
    Outcome outcome = requirement == Requirement.SATISFIED
        ? Preconditions.evaluate(row.method(), conditions, current)
        : null;
    int status = status(row, current, conditions, requirement, outcome);

    assertThat(status)
        .as("%s %s on %s with %s: requirement %s, outcome %s; acceptable %s (%s: %s)", row.id(), row.method(),
            row.fixture(), headers, requirement, outcome, row.acceptable(), row.level(), row.notes())
        .isIn(row.acceptable());
  }

  /** The status a client sees: the guard's answer, or the fixture handler's. */
  private static int status(ConformanceCase row, Validators current, RequestConditions conditions,
      Requirement requirement, Outcome outcome) {
    switch (requirement) {
      case MISSING -> {
        return 428;
      }
      case MALFORMED -> {
        return 400;
      }
      case SATISFIED -> {
        // evaluated below
      }
    }
    switch (outcome) {
      case PRECONDITION_FAILED -> {
        return 412;
      }
      case NOT_MODIFIED -> {
        return 304;
      }
      case PROCEED, IGNORE_RANGE -> {
        // the handler runs
      }
    }
    boolean exists = current.exists();
    return switch (row.method()) {
      case "GET", "HEAD" -> {
        if (!exists) {
          yield 404;
        }
        // Range is defined for GET only (RFC 9110 14.2).
        if (!"GET".equals(row.method()) || outcome == Outcome.IGNORE_RANGE || conditions.range() == null) {
          yield 200;
        }
        ByteRange.Resolution range = ByteRange.resolve(conditions.range(), BODY_LENGTH);
        yield range instanceof ByteRange.Partial ? 206 : range instanceof ByteRange.Unsatisfiable ? 416 : 200;
      }
      case "PUT" -> exists ? 204 : 201;
      case "DELETE" -> exists ? 204 : 404;
      case "POST" -> 200;
      default -> throw new IllegalArgumentException("No handler status for " + row.method());
    };
  }

  /** The placeholders of conformance/README.md. */
  private static String substitute(String value, Validators current, ConformanceCase row) {
    String v = value;
    if (v.contains("{etag}") || v.contains("{weak_etag}") || v.contains("{current_etag}")
        || v.contains("{etag_upper}")) {
      EntityTag etag = current.etag();
      if (etag == null) {
        throw new IllegalStateException(row.id() + " uses the current ETag, but fixture " + row.fixture()
            + " has none");
      }
      EntityTag strong = EntityTag.strong(etag.opaque());
      EntityTag upper = EntityTag.strong(etag.opaque().toUpperCase(Locale.ROOT));
      if (upper.equals(strong)) {
        throw new IllegalStateException("{etag_upper} must differ from {etag}: " + strong);
      }
      v = v.replace("{current_etag}", etag.toString())
          .replace("{etag_upper}", upper.toString())
          .replace("{weak_etag}", strong.toWeak().toString())
          .replace("{etag}", strong.toString());
    }
    v = v.replace("{other_weak_etag}", OTHER.toWeak().toString()).replace("{other_etag}", OTHER.toString());
    if (v.contains("{lm")) {
      Instant lm = current.lastModified();
      if (lm == null) {
        throw new IllegalStateException(row.id() + " uses Last-Modified, but fixture " + row.fixture() + " has none");
      }
      v = v.replace("{lm-1h}", HttpDates.format(lm.minus(Duration.ofHours(1))))
          .replace("{lm+1h}", HttpDates.format(lm.plus(Duration.ofHours(1))))
          .replace("{lm}", HttpDates.format(lm));
    }
    v = v.replace("{now+1d}", HttpDates.format(NOW.plus(Duration.ofDays(1))))
        .replace("{invalid_date}", INVALID_DATE);
    Matcher unknown = PLACEHOLDER.matcher(v);
    if (unknown.find()) {
      throw new IllegalStateException(row.id() + ": unknown placeholder " + unknown.group() + " in " + value);
    }
    return v;
  }

  @Test
  void everyRowIsRunOrListedHereWithAReason() {
    Set<String> notExpressible = new TreeSet<>();
    for (ConformanceCase c : ConformanceCases.all()) {
      if (!ENGINE_FIXTURES.contains(c.fixture()) || c.stateful()) {
        notExpressible.add(c.id());
      }
    }
    assertThat(new TreeSet<>(NOT_RUN_AT_ENGINE_LEVEL.keySet()))
        .as("rows skipped at the engine level must be exactly those it cannot express")
        .isEqualTo(notExpressible);
    assertThat(NOT_RUN_AT_ENGINE_LEVEL.values()).allSatisfy(reason -> assertThat(reason).isNotBlank());
    long run = engineRows().count();
    assertThat(run + NOT_RUN_AT_ENGINE_LEVEL.size()).isEqualTo(ConformanceCases.all().size());
    assertThat(run).as("rows run against the engine").isGreaterThanOrEqualTo(70);
  }

  @Test
  void theFixturesMatchTheReadme() {
    assertThat(fixture("RC").etag()).isNotNull();
    assertThat(fixture("RC").etag().opaque()).contains(",");
    assertThat(fixture("RW").etag().weak()).isTrue();
    assertThat(fixture("RM").lastModified().getNano()).isNotZero();
    assertThat(fixture("RS").lastModified()).isBefore(NOW.minus(Duration.ofHours(2)));
    assertThat(HttpDates.parse(INVALID_DATE)).isNull();
    assertThat(OTHER.weakMatch(fixture("RS").etag())).isFalse();
  }
}
