package dev.etagguard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.decision.Outcome;
import dev.etagguard.decision.Preconditions;
import dev.etagguard.decision.Requirement;
import dev.etagguard.http.EntityTag;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Preconditions}: RFC 9110 13.2.2, one block of rows per step, and the 428 policy of
 * RFC 6585 section 3. Headers are field lines joined by {@code " ; "} (see {@link HeaderSpec}).
 *
 * <p>Resources: RS strong {@code "abc123"} and Last-Modified {@code {lm}} (sub-second precision
 * stored); RW the same with a weak tag; RE strong tag, no Last-Modified; RL Last-Modified only;
 * R0 exists without validators; RN no current representation; RD as RS with a weak date (another
 * version may share its Last-Modified second).
 */
class PreconditionsTest {

  static Validators resource(String name) {
    return switch (name) {
      case "RS" -> Validators.of(EntityTag.strong("abc123"), HeaderSpec.LM);
      case "RD" -> Validators.of(EntityTag.strong("abc123"), HeaderSpec.LM).withWeakLastModified(true);
      case "RW" -> Validators.of(EntityTag.weak("abc123"), HeaderSpec.LM);
      case "RE" -> Validators.of(EntityTag.strong("abc123"), null);
      case "RL" -> Validators.of(null, HeaderSpec.LM);
      case "R0" -> Validators.NONE;
      case "RN" -> Validators.ABSENT;
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest(name = "[{index}] step {0}: {1} {2} [{3}] -> {4}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # step | method | resource | request headers                                   | outcome
      # Step 1: If-Match, strong comparison (13.1.1); false -> 412.
      1 | GET     | RS | If-Match: "abc123"                                          | PROCEED
      1 | PUT     | RS | If-Match: "abc123"                                          | PROCEED
      1 | GET     | RS | If-Match: "other"                                           | PRECONDITION_FAILED
      1 | PUT     | RS | If-Match: "other"                                           | PRECONDITION_FAILED
      1 | DELETE  | RS | If-Match: "ABC123"                                          | PRECONDITION_FAILED
      1 | PUT     | RS | If-Match: W/"abc123"                                        | PRECONDITION_FAILED
      1 | PUT     | RW | If-Match: "abc123"                                          | PRECONDITION_FAILED
      1 | PUT     | RW | If-Match: W/"abc123"                                        | PRECONDITION_FAILED
      1 | HEAD    | RW | If-Match: W/"abc123"                                        | PRECONDITION_FAILED
      1 | PUT     | RS | If-Match: "x", W/"abc123", "abc123"                         | PROCEED
      1 | PUT     | RS | If-Match: "x" ; If-Match: "abc123"                          | PROCEED
      1 | PUT     | RS | If-Match: "x" ; If-Match: "y"                               | PRECONDITION_FAILED
      1 | PUT     | RS | If-Match: ,                                                 | PRECONDITION_FAILED
      1 | PUT     | RS | If-Match: *                                                 | PROCEED
      1 | GET     | R0 | If-Match: *                                                 | PROCEED
      1 | PUT     | RL | If-Match: *                                                 | PROCEED
      1 | PUT     | RW | If-Match: *                                                 | PROCEED
      1 | PUT     | RN | If-Match: *                                                 | PRECONDITION_FAILED
      1 | DELETE  | RN | If-Match: "abc123"                                          | PRECONDITION_FAILED
      1 | PUT     | R0 | If-Match: "abc123"                                          | PRECONDITION_FAILED
      1 | PUT     | RL | If-Match: "abc123"                                          | PRECONDITION_FAILED
      1 | GET     | RS | If-Match: abc123                                            | PRECONDITION_FAILED
      1 | PUT     | RS | If-Match: abc123                                            | PRECONDITION_FAILED
      1 | PUT     | RS | If-Match: *, "abc123"                                       | PRECONDITION_FAILED
      # Step 2: If-Unmodified-Since without If-Match (13.1.4); false -> 412.
      2 | PUT     | RS | If-Unmodified-Since: {lm}                                   | PROCEED
      2 | PUT     | RD | If-Unmodified-Since: {lm}                                   | PRECONDITION_FAILED
      2 | PUT     | RD | If-Unmodified-Since: {lm+1s}                                | PROCEED
      2 | PUT     | RD | If-Unmodified-Since: {lm-1s}                                | PRECONDITION_FAILED
      2 | PUT     | RD | If-Match: "abc123" ; If-Unmodified-Since: {lm}             | PROCEED
      4 | GET     | RD | If-Modified-Since: {lm}                                     | PROCEED
      4 | GET     | RD | If-Modified-Since: {lm+1s}                                  | NOT_MODIFIED
      5 | GET     | RD | Range: bytes=0-1 ; If-Range: {lm}                           | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-1 ; If-Range: {lm}                           | PROCEED
      2 | PUT     | RS | If-Unmodified-Since: {lm+1s}                                | PROCEED
      2 | PUT     | RS | If-Unmodified-Since: {lm-1s}                                | PRECONDITION_FAILED
      2 | GET     | RS | If-Unmodified-Since: {lm-1s}                                | PRECONDITION_FAILED
      2 | POST    | RS | If-Unmodified-Since: {lm-1s}                                | PRECONDITION_FAILED
      2 | PUT     | RE | If-Unmodified-Since: {lm-1s}                                | PROCEED
      2 | PUT     | R0 | If-Unmodified-Since: {lm-1s}                                | PROCEED
      2 | PUT     | RN | If-Unmodified-Since: {lm-1s}                                | PROCEED
      2 | PUT     | RS | If-Match: "abc123" ; If-Unmodified-Since: {lm-1s}           | PROCEED
      2 | PUT     | RS | If-Match: * ; If-Unmodified-Since: {lm-1s}                  | PROCEED
      2 | PUT     | RS | If-Match: "other" ; If-Unmodified-Since: {lm+1s}            | PRECONDITION_FAILED
      2 | PUT     | RS | If-Unmodified-Since: yesterday                              | PROCEED
      2 | PUT     | RS | If-Unmodified-Since: {lm-1s} ; If-Unmodified-Since: {lm-1s} | PROCEED
      2 | PUT     | RS | If-Unmodified-Since: Wednesday, 15-May-24 09:59:59 GMT      | PRECONDITION_FAILED
      2 | PUT     | RS | If-Unmodified-Since: Wed May 15 10:00:00 2024               | PROCEED
      # Step 3: If-None-Match, weak comparison (13.1.2); false -> 304 for GET/HEAD, else 412.
      3 | GET     | RS | If-None-Match: "abc123"                                     | NOT_MODIFIED
      3 | HEAD    | RS | If-None-Match: "abc123"                                     | NOT_MODIFIED
      3 | GET     | RS | If-None-Match: W/"abc123"                                   | NOT_MODIFIED
      3 | GET     | RW | If-None-Match: "abc123"                                     | NOT_MODIFIED
      3 | GET     | RW | If-None-Match: W/"abc123"                                   | NOT_MODIFIED
      3 | GET     | RS | If-None-Match: "x", "abc123"                                | NOT_MODIFIED
      3 | GET     | RS | If-None-Match: "x" ; If-None-Match: W/"abc123"              | NOT_MODIFIED
      3 | GET     | RS | If-None-Match: "other"                                      | PROCEED
      3 | GET     | RS | If-None-Match: "ABC123"                                     | PROCEED
      3 | GET     | RS | If-None-Match: *                                            | NOT_MODIFIED
      3 | HEAD    | R0 | If-None-Match: *                                            | NOT_MODIFIED
      3 | GET     | RN | If-None-Match: *                                            | PROCEED
      3 | GET     | RN | If-None-Match: "abc123"                                     | PROCEED
      3 | GET     | R0 | If-None-Match: "abc123"                                     | PROCEED
      3 | PUT     | RN | If-None-Match: *                                            | PROCEED
      3 | PUT     | RS | If-None-Match: *                                            | PRECONDITION_FAILED
      3 | PUT     | R0 | If-None-Match: *                                            | PRECONDITION_FAILED
      3 | PUT     | RS | If-None-Match: "abc123"                                     | PRECONDITION_FAILED
      3 | POST    | RS | If-None-Match: W/"abc123"                                   | PRECONDITION_FAILED
      3 | OPTIONS | RS | If-None-Match: "abc123"                                     | PRECONDITION_FAILED
      3 | DELETE  | RS | If-None-Match: "other"                                      | PROCEED
      3 | GET     | RS | If-None-Match: abc123                                       | PROCEED
      3 | GET     | RS | If-None-Match: *, "abc123"                                  | PROCEED
      3 | PUT     | RS | If-None-Match: abc123                                       | PRECONDITION_FAILED
      3 | PUT     | RN | If-None-Match: "a" "b"                                      | PRECONDITION_FAILED
      3 | GET     | RS | If-Match: "abc123" ; If-None-Match: "abc123"                | NOT_MODIFIED
      3 | GET     | RS | If-Unmodified-Since: {lm} ; If-None-Match: "abc123"         | NOT_MODIFIED
      3 | GET     | RS | If-Match: "other" ; If-None-Match: "abc123"                 | PRECONDITION_FAILED
      # Step 4: If-Modified-Since, GET/HEAD only, without If-None-Match (13.1.3); false -> 304.
      4 | GET     | RS | If-Modified-Since: {lm}                                     | NOT_MODIFIED
      4 | HEAD    | RS | If-Modified-Since: {lm}                                     | NOT_MODIFIED
      4 | GET     | RS | If-Modified-Since: {lm+1s}                                  | NOT_MODIFIED
      4 | GET     | RS | If-Modified-Since: {lm-1s}                                  | PROCEED
      4 | GET     | RL | If-Modified-Since: {lm}                                     | NOT_MODIFIED
      4 | GET     | RS | If-Modified-Since: Wednesday, 15-May-24 10:00:00 GMT        | NOT_MODIFIED
      4 | GET     | RS | If-Modified-Since: Wed May 15 10:00:00 2024                 | NOT_MODIFIED
      4 | PUT     | RS | If-Modified-Since: {lm}                                     | PROCEED
      4 | POST    | RS | If-Modified-Since: {lm}                                     | PROCEED
      4 | DELETE  | RS | If-Modified-Since: {lm}                                     | PROCEED
      4 | GET     | RS | If-None-Match: "other" ; If-Modified-Since: {lm}            | PROCEED
      4 | GET     | RS | If-None-Match: abc123 ; If-Modified-Since: {lm}             | PROCEED
      4 | GET     | RE | If-Modified-Since: {lm}                                     | PROCEED
      4 | GET     | R0 | If-Modified-Since: {lm}                                     | PROCEED
      4 | GET     | RN | If-Modified-Since: {lm}                                     | PROCEED
      4 | GET     | RS | If-Modified-Since: not a date                               | PROCEED
      4 | GET     | RS | If-Modified-Since: {lm} ; If-Modified-Since: {lm}           | PROCEED
      4 | GET     | RS | If-Match: "abc123" ; If-Modified-Since: {lm}                | NOT_MODIFIED
      4 | GET     | RS | If-Unmodified-Since: {lm-1s} ; If-Modified-Since: {lm}      | PRECONDITION_FAILED
      # Step 5: If-Range on a GET with Range (13.1.5); false -> ignore Range.
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: "abc123"                      | PROCEED
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: "other"                       | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: "ABC123"                      | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: W/"abc123"                    | IGNORE_RANGE
      5 | GET     | RW | Range: bytes=0-10 ; If-Range: "abc123"                      | IGNORE_RANGE
      5 | GET     | RW | Range: bytes=0-10 ; If-Range: W/"abc123"                    | IGNORE_RANGE
      5 | GET     | RL | Range: bytes=0-10 ; If-Range: "abc123"                      | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: {lm}                          | PROCEED
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: {lm+1s}                       | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: {lm-1s}                       | IGNORE_RANGE
      5 | GET     | RL | Range: bytes=0-10 ; If-Range: {lm}                          | PROCEED
      5 | GET     | RE | Range: bytes=0-10 ; If-Range: {lm}                          | IGNORE_RANGE
      5 | GET     | R0 | Range: bytes=0-10 ; If-Range: {lm}                          | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: invalid-no-quotes             | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: "abc123", "abc123"            | IGNORE_RANGE
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: "abc123" ; If-Range: "abc123" | IGNORE_RANGE
      5 | GET     | RS | If-Range: "other"                                           | PROCEED
      5 | GET     | RS | If-Range: invalid-no-quotes                                 | PROCEED
      5 | HEAD    | RS | Range: bytes=0-10 ; If-Range: "other"                       | PROCEED
      5 | GET     | RS | Range: bytes=0-10                                           | PROCEED
      5 | GET     | RS | Range: bytes=0-10 ; If-Match: *                             | PROCEED
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: "other" ; If-None-Match: "abc123" | NOT_MODIFIED
      5 | GET     | RS | Range: bytes=0-10 ; If-Range: "other" ; If-Match: "other"   | PRECONDITION_FAILED
      # Step 6: perform the method.
      6 | GET     | RS |                                                             | PROCEED
      6 | GET     | RN |                                                             | PROCEED
      6 | PUT     | RN |                                                             | PROCEED
      6 | DELETE  | RS |                                                             | PROCEED
      6 | GET     | RS | Cache-Control: no-cache                                     | PROCEED
      """)
  void evaluate(int step, String method, String resource, String headers, Outcome expected) {
    RequestConditions conditions = HeaderSpec.conditions(headers);
    assertThat(Preconditions.evaluate(method, conditions, resource(resource)))
        .as("step %d: %s %s with %s", step, method, resource, conditions)
        .isEqualTo(expected);
  }

  /**
   * Option weakIfMatchPaths: If-Match with weak comparison (RFC 9110 8.8.3.2), everything else as
   * before; If-Range stays strong.
   */
  @ParameterizedTest(name = "[{index}] {0} {1} [{2}] weak -> {3}, strong -> {4}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # method | resource | request headers                               | weak                | strong
      PUT     | RW | If-Match: W/"abc123"                                   | PROCEED             | PRECONDITION_FAILED
      PUT     | RW | If-Match: "abc123"                                     | PROCEED             | PRECONDITION_FAILED
      PUT     | RS | If-Match: W/"abc123"                                   | PROCEED             | PRECONDITION_FAILED
      HEAD    | RW | If-Match: W/"abc123"                                   | PROCEED             | PRECONDITION_FAILED
      DELETE  | RW | If-Match: "x", W/"abc123"                              | PROCEED             | PRECONDITION_FAILED
      PUT     | RS | If-Match: "abc123"                                     | PROCEED             | PROCEED
      PUT     | RW | If-Match: W/"other"                                    | PRECONDITION_FAILED | PRECONDITION_FAILED
      PUT     | RW | If-Match: W/"ABC123"                                   | PRECONDITION_FAILED | PRECONDITION_FAILED
      PUT     | RN | If-Match: W/"abc123"                                   | PRECONDITION_FAILED | PRECONDITION_FAILED
      PUT     | R0 | If-Match: W/"abc123"                                   | PRECONDITION_FAILED | PRECONDITION_FAILED
      PUT     | RW | If-Match: abc123                                       | PRECONDITION_FAILED | PRECONDITION_FAILED
      PUT     | RW | If-Match: W/"abc123" ; If-None-Match: W/"abc123"       | PRECONDITION_FAILED | PRECONDITION_FAILED
      GET     | RW | Range: bytes=0-10 ; If-Range: W/"abc123"               | IGNORE_RANGE        | IGNORE_RANGE
      GET     | RW | Range: bytes=0-10 ; If-Match: W/"abc123" ; If-Range: "abc123" | IGNORE_RANGE | PRECONDITION_FAILED
      """)
  void weakIfMatch(String method, String resource, String headers, Outcome weak, Outcome strong) {
    RequestConditions conditions = HeaderSpec.conditions(headers);
    assertThat(Preconditions.evaluate(method, conditions, resource(resource), true)).as("weak").isEqualTo(weak);
    assertThat(Preconditions.evaluate(method, conditions, resource(resource), false)).as("strong").isEqualTo(strong);
    assertThat(Preconditions.evaluate(method, conditions, resource(resource))).as("default").isEqualTo(strong);
  }

  /** RFC 6585 section 3 and the policy in {@link Preconditions#require}'s javadoc. */
  @ParameterizedTest(name = "[{index}] {0} [{1}] guarded={2} acceptIfMatchAny={3} -> {4}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # method | request headers                                  | guarded | acceptIfMatchAny | requirement
      GET     |                                                    | true    | true  | SATISFIED
      HEAD    |                                                    | true    | false | SATISFIED
      OPTIONS |                                                    | true    | true  | SATISFIED
      GET     | If-Match: abc123                                   | true    | true  | SATISFIED
      GET     | If-None-Match: *, "a"                              | false   | true  | SATISFIED
      PUT     |                                                    | true    | true  | MISSING
      PATCH   |                                                    | true    | true  | MISSING
      DELETE  |                                                    | true    | true  | MISSING
      POST    |                                                    | true    | true  | MISSING
      PUT     |                                                    | false   | true  | SATISFIED
      DELETE  |                                                    | false   | false | SATISFIED
      PUT     | If-Match: "a"                                      | true    | true  | SATISFIED
      PUT     | If-Match: "a"                                      | true    | false | SATISFIED
      PUT     | If-Match: W/"a"                                    | true    | true  | SATISFIED
      PUT     | If-Match: *                                        | true    | true  | SATISFIED
      PUT     | If-Match: *                                        | true    | false | MISSING
      PUT     | If-Match: * ; If-Unmodified-Since: {lm}            | true    | false | SATISFIED
      PUT     | If-Match: * ; If-None-Match: "a"                   | true    | false | SATISFIED
      PUT     | If-Match: *                                        | false   | false | SATISFIED
      PUT     | If-Unmodified-Since: {lm}                          | true    | true  | SATISFIED
      DELETE  | If-Unmodified-Since: Wed May 15 10:00:00 2024      | true    | true  | SATISFIED
      PUT     | If-Unmodified-Since: not-a-date                    | true    | true  | MISSING
      PUT     | If-Unmodified-Since: {lm} ; If-Unmodified-Since: {lm} | true | true  | MISSING
      PUT     | If-None-Match: *                                   | true    | true  | SATISFIED
      PUT     | If-None-Match: "a"                                 | true    | true  | SATISFIED
      PUT     | If-Modified-Since: {lm}                            | true    | true  | MISSING
      PUT     | If-Range: "a"                                      | true    | true  | MISSING
      PUT     | Range: bytes=0-10 ; If-Range: {lm}                 | true    | true  | MISSING
      PUT     | If-Modified-Since: {lm} ; If-Range: "a"            | true    | true  | MISSING
      PUT     | If-Match: abc123                                   | true    | true  | MALFORMED
      PUT     | If-Match: abc123                                   | false   | true  | MALFORMED
      DELETE  | If-Match: "a" "b"                                  | false   | false | MALFORMED
      PATCH   | If-Match: *, "a"                                   | false   | true  | MALFORMED
      PUT     | If-None-Match: * ; If-None-Match: "a"              | true    | true  | MALFORMED
      POST    | If-None-Match: "unterminated                       | false   | true  | MALFORMED
      PUT     | If-Match: "a" ; If-None-Match: bad                 | true    | true  | MALFORMED
      PUT     | If-Unmodified-Since: {lm} ; If-Match: bad          | true    | true  | MALFORMED
      """)
  void require(String method, String headers, boolean guarded, boolean acceptIfMatchAny, Requirement expected) {
    RequestConditions conditions = HeaderSpec.conditions(headers);
    assertThat(Preconditions.require(method, conditions, guarded, acceptIfMatchAny))
        .as("%s with %s, guarded=%s, acceptIfMatchAny=%s", method, conditions, guarded, acceptIfMatchAny)
        .isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0}: safe={1}, GET or HEAD={2}")
  @CsvSource(delimiter = '|', textBlock = """
      GET     | true  | true
      HEAD    | true  | true
      OPTIONS | true  | false
      TRACE   | true  | false
      POST    | false | false
      PUT     | false | false
      PATCH   | false | false
      DELETE  | false | false
      get     | false | false
      PROPFIND| false | false
      """)
  void methodClasses(String method, boolean safe, boolean getOrHead) {
    assertThat(Preconditions.isSafe(method)).isEqualTo(safe);
    assertThat(Preconditions.isGetOrHead(method)).isEqualTo(getOrHead);
  }

  @Test
  void noConditionsProceedAndAreSatisfied() {
    assertThat(RequestConditions.NONE.isEmpty()).isTrue();
    assertThat(Preconditions.evaluate("PUT", RequestConditions.NONE, resource("RS"))).isEqualTo(Outcome.PROCEED);
    assertThat(Preconditions.require("PUT", RequestConditions.NONE, false, true)).isEqualTo(Requirement.SATISFIED);
  }
}
