package dev.etagguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link EntityTag}: the entity-tag grammar and the two comparison functions of RFC 9110 8.8.3. */
class EntityTagTest {

  @ParameterizedTest(name = "[{index}] {0} -> opaque {1}, weak {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      # wire form          | opaque          | weak
      "abc"                | abc             | false
      W/"abc"              | abc             | true
      ""                   | ''              | false
      W/""                 | ''              | true
      "spring,framework"   | spring,framework| false
      W/"*"                | *               | true
      "\u00e9t\u00e9"      | \u00e9t\u00e9   | false
      """)
  void parsesTheWireForm(String wire, String opaque, boolean weak) {
    EntityTag tag = EntityTag.parse(wire);
    assertThat(tag.opaque()).isEqualTo(opaque);
    assertThat(tag.weak()).isEqualTo(weak);
    assertThat(tag.toString()).isEqualTo(wire);
  }

  @Test
  void everyEtagcCharacterIsAllowed() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c <= 0xFF; c++) {
      if (c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80) {
        all.append(c);
      }
    }
    EntityTag tag = EntityTag.parse('"' + all.toString() + '"');
    assertThat(tag.opaque()).isEqualTo(all.toString()).hasSize(1 + 92 + 128);
  }

  @Test
  void nullIsNoTag() {
    assertThat(EntityTag.parseOrNull(null)).isNull();
  }

  @Test
  void toleratesOptionalWhitespaceAroundTheTag() {
    assertThat(EntityTag.parse(" \t\"abc\" \t")).isEqualTo(EntityTag.strong("abc"));
    assertThat(EntityTag.parse("\tW/\"abc\" ")).isEqualTo(EntityTag.weak("abc"));
  }

  @ParameterizedTest(name = "[{index}] not an entity tag: <{0}>")
  @ValueSource(strings = {
      "", " ", "abc", "\"abc", "abc\"", "\"", "W/", "W/\"", "w/\"abc\"", "W/abc", "W /\"abc\"", "W/ \"abc\"",
      "\"a\"b\"", "\"a b\"", "\"a\tb\"", "\"a\u0001\"", "\"a\u007f\"", "\"\u0100\"", "\"\u20ac\"", "*",
      "\"a\", \"b\"", "\"a\"x", "x\"a\"", "W/W/\"a\"", "\"a\"\r\n"})
  void rejectsWhatIsNotExactlyOneEntityTag(String value) {
    assertThat(EntityTag.parseOrNull(value)).isNull();
    assertThatIllegalArgumentException().isThrownBy(() -> EntityTag.parse(value));
  }

  @ParameterizedTest(name = "[{index}] opaque <{0}> is rejected")
  @ValueSource(strings = {"a\"b", "a b", "\t", "\u0000", "\u007f", "\u0100", "\r\n"})
  void constructorRejectsCharactersOutsideEtagc(String opaque) {
    assertThatIllegalArgumentException().isThrownBy(() -> EntityTag.strong(opaque));
    assertThatIllegalArgumentException().isThrownBy(() -> EntityTag.weak(opaque));
  }

  /** The example table of RFC 9110 8.8.3.2, plus case sensitivity of the opaque part. */
  @ParameterizedTest(name = "[{index}] {0} vs {1}: strong {2}, weak {3}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      # ETag 1 | ETag 2  | strong comparison | weak comparison
      W/"1"    | W/"1"   | false             | true
      W/"1"    | W/"2"   | false             | false
      W/"1"    | "1"     | false             | true
      "1"      | W/"1"   | false             | true
      "1"      | "1"     | true              | true
      "1"      | "2"     | false             | false
      "abc"    | "ABC"   | false             | false
      ""       | ""      | true              | true
      ""       | W/""    | false             | true
      """)
  void comparison(String first, String second, boolean strong, boolean weak) {
    EntityTag a = EntityTag.parse(first);
    EntityTag b = EntityTag.parse(second);
    assertThat(a.strongMatch(b)).as("strong %s %s", a, b).isEqualTo(strong);
    assertThat(b.strongMatch(a)).as("strong comparison is symmetric").isEqualTo(strong);
    assertThat(a.weakMatch(b)).as("weak %s %s", a, b).isEqualTo(weak);
    assertThat(b.weakMatch(a)).as("weak comparison is symmetric").isEqualTo(weak);
  }

  @Test
  void toWeakSetsTheIndicatorOnly() {
    assertThat(EntityTag.strong("x").toWeak()).isEqualTo(EntityTag.weak("x"));
    assertThat(EntityTag.weak("x").toWeak()).isEqualTo(EntityTag.weak("x"));
    assertThat(EntityTag.strong("x").toWeak().toString()).isEqualTo("W/\"x\"");
  }

  @Test
  void equalityIsOpaquePlusWeakness() {
    assertThat(EntityTag.strong("x")).isEqualTo(new EntityTag("x", false)).isNotEqualTo(EntityTag.weak("x"));
  }
}
