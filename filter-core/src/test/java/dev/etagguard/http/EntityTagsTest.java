package dev.etagguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link EntityTags}: If-Match and If-None-Match values, {@code "*" / #entity-tag} (RFC 9110 13.1.1,
 * 13.1.2) with the list rules of RFC 9110 5.6.1. Each row: the field lines as sent, and the
 * condition as {@code *}, {@code MALFORMED} or the list of tags in wire form.
 */
class EntityTagsTest {

  private static final String MALFORMED = "MALFORMED";

  static Stream<Arguments> lists() {
    return Stream.of(
        row("wildcard", lines("*"), "*"),
        row("wildcard with OWS", lines(" \t* \t"), "*"),
        row("wildcard and an empty field line", lines("*", ""), "*"),
        row("wildcard with empty list elements", lines(", *,"), "*"),
        row("one strong tag", lines("\"abc\""), "\"abc\""),
        row("one weak tag", lines("W/\"abc\""), "W/\"abc\""),
        row("a list on one line", lines("\"a\", W/\"b\", \"c\""), "\"a\", W/\"b\", \"c\""),
        row("no space after comma", lines("\"a\",\"b\""), "\"a\", \"b\""),
        row("space before comma", lines("\"a\" ,\"b\""), "\"a\", \"b\""),
        row("space around comma", lines("\"a\" , \"b\""), "\"a\", \"b\""),
        row("tab as whitespace", lines("\"bar\",\t\"abc\""), "\"bar\", \"abc\""),
        row("tabs around the list", lines("\t\"a\"\t,\t\"b\"\t"), "\"a\", \"b\""),
        row("several field lines, in order", lines("\"1\"", "W/\"2\", \"3\"", "\"4\""),
            "\"1\", W/\"2\", \"3\", \"4\""),
        row("empty list elements ignored", lines(",\"a\",, ,\"b\","), "\"a\", \"b\""),
        row("only empty list elements", lines(" , ,"), ""),
        row("an empty field value", lines(""), ""),
        row("empty field lines between tags", lines("\"a\"", "", ",", "\"b\""), "\"a\", \"b\""),
        row("a comma inside the quotes does not split", lines("\"spring,framework\""), "\"spring,framework\""),
        row("quoted commas in a list", lines("\"a,b\", W/\",\", \"c\""), "\"a,b\", W/\",\", \"c\""),
        row("W/\"*\" is a tag, not the wildcard", lines("W/\"*\""), "W/\"*\""),
        row("the empty tag", lines("\"\""), "\"\""),
        row("duplicates are kept", lines("\"a\", \"a\""), "\"a\", \"a\""),
        row("obs-text in a tag", lines("\"\u00e9\u00ff\""), "\"\u00e9\u00ff\""),
        row("wildcard next to a tag", lines("*, \"a\""), MALFORMED),
        row("tag next to a wildcard", lines("\"a\", *"), MALFORMED),
        row("wildcard and a tag on two field lines", lines("*", "W/\"1abcd\""), MALFORMED),
        row("a tag and a wildcard on two field lines", lines("\"a\"", "*"), MALFORMED),
        row("wildcard on two field lines", lines("*", "*"), MALFORMED),
        row("wildcard twice", lines("*, *"), MALFORMED),
        row("wildcard glued to a tag", lines("*\"a\""), MALFORMED),
        row("double wildcard", lines("**"), MALFORMED),
        row("no quotes", lines("invalid-no-quotes"), MALFORMED),
        row("no quotes in a list", lines("\"a\", b"), MALFORMED),
        row("unterminated quote", lines("\"abc"), MALFORMED),
        row("unterminated quote on the first of two lines", lines("\"abc", "def\""), MALFORMED),
        row("closing quote only", lines("abc\""), MALFORMED),
        row("missing comma", lines("\"a\" \"b\""), MALFORMED),
        row("semicolon as separator", lines("\"a\"; \"b\""), MALFORMED),
        row("text after the tag", lines("\"a\"x"), MALFORMED),
        row("lower-case weakness indicator", lines("w/\"a\""), MALFORMED),
        row("space inside the weakness indicator", lines("W/ \"a\""), MALFORMED),
        row("weakness indicator alone", lines("W/"), MALFORMED),
        row("space inside the quotes", lines("\"a b\""), MALFORMED),
        row("control character inside the quotes", lines("\"a\u0000b\""), MALFORMED),
        row("DEL inside the quotes", lines("\"a\u007fb\""), MALFORMED),
        row("non-Latin-1 character inside the quotes", lines("\"\u20ac\""), MALFORMED),
        row("CR LF after the tag", lines("\"a\"\r\n"), MALFORMED),
        row("one bad line spoils the header", lines("\"a\"", "b", "\"c\""), MALFORMED),
        row("the Django triple quote", lines("\"\"\""), MALFORMED));
  }

  @ParameterizedTest
  @MethodSource("lists")
  void parsesFieldLines(List<String> fieldLines, String expected) {
    EntityTagCondition condition = EntityTags.parse(fieldLines);
    assertThat(condition).isNotNull();
    switch (expected) {
      case "*" -> assertThat(condition).isSameAs(EntityTagCondition.ANY);
      case MALFORMED -> assertThat(condition).isInstanceOfSatisfying(EntityTagCondition.Malformed.class,
          m -> assertThat(m.reason()).isNotBlank());
      default -> assertThat(condition).isInstanceOfSatisfying(EntityTagCondition.Tags.class,
          t -> assertThat(t.toString()).isEqualTo(expected));
    }
  }

  @Test
  void noFieldLineIsNoCondition() {
    assertThat(EntityTags.parse(List.of())).isNull();
    assertThat(EntityTags.parse((String) null)).isNull();
  }

  @Test
  void aSingleValueParsesLikeOneFieldLine() {
    assertThat(EntityTags.parse("\"a\", W/\"b\""))
        .isEqualTo(new EntityTagCondition.Tags(List.of(EntityTag.strong("a"), EntityTag.weak("b"))));
  }

  @Test
  void tagsKeepOrderAndWeakness() {
    EntityTagCondition condition = EntityTags.parse(List.of("W/\"x\", \"y\"", "\"z\""));
    assertThat(condition).isEqualTo(new EntityTagCondition.Tags(
        List.of(EntityTag.weak("x"), EntityTag.strong("y"), EntityTag.strong("z"))));
  }

  @Test
  void theDefaultTagLimitIsInclusive() {
    assertThat(EntityTags.parse(List.of(tags(EntityTags.DEFAULT_MAX_TAGS))))
        .isInstanceOfSatisfying(EntityTagCondition.Tags.class,
            t -> assertThat(t.tags()).hasSize(EntityTags.DEFAULT_MAX_TAGS));
    assertThat(EntityTags.parse(List.of(tags(EntityTags.DEFAULT_MAX_TAGS + 1))))
        .isInstanceOf(EntityTagCondition.Malformed.class);
  }

  @Test
  void theTagLimitCountsEveryFieldLine() {
    List<String> lines = Collections.nCopies(EntityTags.DEFAULT_MAX_TAGS + 1, "\"t\"");
    assertThat(EntityTags.parse(lines)).isInstanceOf(EntityTagCondition.Malformed.class);
    assertThat(EntityTags.parse(List.of("\"a\", \"b\"", "\"c\""), 2, 1000))
        .isInstanceOf(EntityTagCondition.Malformed.class);
    assertThat(EntityTags.parse(List.of("\"a\"", "\"b\""), 2, 1000))
        .isInstanceOf(EntityTagCondition.Tags.class);
  }

  @Test
  void theLengthLimitIsInclusiveAndCountsEveryFieldLine() {
    int max = EntityTags.DEFAULT_MAX_LENGTH;
    String exactly = '"' + "x".repeat(max - 2) + '"';
    assertThat(EntityTags.parse(List.of(exactly))).isInstanceOf(EntityTagCondition.Tags.class);
    String oneMore = '"' + "x".repeat(max - 1) + '"';
    assertThat(EntityTags.parse(List.of(oneMore))).isInstanceOf(EntityTagCondition.Malformed.class);
    String half = '"' + "x".repeat(max / 2 - 1) + '"';
    assertThat(EntityTags.parse(List.of(half, half + " "))).isInstanceOf(EntityTagCondition.Malformed.class);
    assertThat(EntityTags.parse(List.of(" ".repeat(max + 1)))).isInstanceOf(EntityTagCondition.Malformed.class);
    assertThat(EntityTags.parse(List.of("\"abcd\""), 10, 5)).isInstanceOf(EntityTagCondition.Malformed.class);
  }

  @Test
  void manyEmptyElementsWithinTheLengthAreIgnored() {
    assertThat(EntityTags.parse(List.of(",".repeat(EntityTags.DEFAULT_MAX_LENGTH - 3) + "\"a\"")))
        .isEqualTo(new EntityTagCondition.Tags(List.of(EntityTag.strong("a"))));
  }

  @Test
  void tagsMatchByStrongAndWeakComparison() {
    EntityTagCondition.Tags tags = (EntityTagCondition.Tags) EntityTags.parse("W/\"a\", \"b\"");
    assertThat(tags.anyStrongMatch(EntityTag.strong("a"))).isFalse();
    assertThat(tags.anyWeakMatch(EntityTag.strong("a"))).isTrue();
    assertThat(tags.anyStrongMatch(EntityTag.strong("b"))).isTrue();
    assertThat(tags.anyStrongMatch(EntityTag.weak("b"))).isFalse();
    assertThat(tags.anyWeakMatch(EntityTag.weak("b"))).isTrue();
    assertThat(tags.anyWeakMatch(EntityTag.strong("c"))).isFalse();
  }

  private static String tags(int count) {
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      tags.add("\"t" + i + '"');
    }
    return String.join(", ", tags);
  }

  private static List<String> lines(String... lines) {
    return List.of(lines);
  }

  private static Arguments row(String name, List<String> lines, String expected) {
    return argumentSet(name, lines, expected);
  }
}
