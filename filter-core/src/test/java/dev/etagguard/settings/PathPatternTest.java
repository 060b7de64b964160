package dev.etagguard.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link PathPattern}: servlet URL patterns (Servlet 6.0 section 12.2) against normalized paths. */
class PathPatternTest {

  @ParameterizedTest(name = "[{index}] {0} matches {1}: {2}")
  @CsvSource(delimiter = '|', textBlock = """
      # pattern     | path                 | matches
      /*            | /                    | true
      /*            | /any/thing.json      | true
      /             | /any/thing           | true
      /articles     | /articles            | true
      /articles     | /articles/           | false
      /articles     | /articles/1          | false
      /articles     | /Articles            | false
      /articles/*   | /articles            | true
      /articles/*   | /articles/           | true
      /articles/*   | /articles/1          | true
      /articles/*   | /articles/1/comments | true
      /articles/*   | /articlesx           | false
      /articles/*   | /article             | false
      /articles/*   | /api/articles/1      | false
      /a/b/*        | /a/b/c               | true
      /a/b/*        | /a/bc                | false
      *.json        | /a/b.json            | true
      *.json        | /b.json              | true
      *.json        | /a/b.jsonx           | false
      *.json        | /a/b.json/c          | false
      *.json        | /a/bjson             | false
      *.json        | /a/b.JSON            | false
      *.tar.gz      | /a/b.tar.gz          | false
      """)
  void matches(String pattern, String path, boolean matches) {
    assertThat(new PathPattern(pattern).matches(path)).isEqualTo(matches);
  }

  @ParameterizedTest(name = "[{index}] <{0}>")
  @ValueSource(strings = {"", "articles", "articles/*", "/a*", "/a/*/b", "/a/**", "*", "*.", "*.a/b", "*.a*",
      "**.json", "/*.json"})
  void rejectsWhatIsNotAServletPattern(String pattern) {
    assertThatIllegalArgumentException().isThrownBy(() -> new PathPattern(pattern))
        .withMessageContaining(pattern.isEmpty() ? "empty" : pattern);
  }

  @Test
  void listsAreCommaOrWhitespaceSeparated() {
    assertThat(PathPattern.parseList(" /a/*, *.json\t/b  ,, /c "))
        .extracting(PathPattern::toString).containsExactly("/a/*", "*.json", "/b", "/c");
    assertThat(PathPattern.parseList("  ")).isEmpty();
  }

  @Test
  void anyMatches() {
    List<PathPattern> patterns = PathPattern.parseList("/a/*, *.json");
    assertThat(PathPattern.any(patterns, "/a/1")).isTrue();
    assertThat(PathPattern.any(patterns, "/b/1.json")).isTrue();
    assertThat(PathPattern.any(patterns, "/b/1")).isFalse();
    assertThat(PathPattern.any(List.of(), "/")).isFalse();
  }
}
