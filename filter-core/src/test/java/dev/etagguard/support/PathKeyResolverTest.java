package dev.etagguard.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKeyResolver;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Builtins#pathResolver(Set)}: every spelling of one resource maps to one key (RFC 3986 6.2.2). */
class PathKeyResolverTest {

  /** A request that has only a path and a query. */
  record FakeRequest(String path, @Nullable String query) implements RequestView {
    @Override
    public String method() {
      return "PUT";
    }

    @Override
    public List<String> headers(String name) {
      return List.of();
    }
  }

  private static String key(ResourceKeyResolver resolver, String path, @Nullable String query) {
    return resolver.resolve(new FakeRequest(path, query)).value();
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # raw path                       | key
      /articles/12                     | /articles/12
      /                                | /
      ``                               | /
      /articles//12                    | /articles/12
      //articles///12                  | /articles/12
      /articles/./12                   | /articles/12
      /./articles/12                   | /articles/12
      /articles/x/../12                | /articles/12
      /articles/x/y/../../12           | /articles/12
      /../../articles/12               | /articles/12
      /articles/12/..                  | /articles/
      /articles/12/.                   | /articles/12/
      /articles/%2E%2E/12              | /12
      /articles/%2e/12                 | /articles/12
      /%7Euser/a                       | /~user/a
      /%7euser/a                       | /~user/a
      /~user/a                         | /~user/a
      /%41%62%63-%5F%2D%2e%30          | /Abc-_-.0
      /a%2fb                           | /a%2Fb
      /a%2Fb                           | /a%2Fb
      /a%3ab%c3%a9                     | /a%3Ab%C3%A9
      /a%20b                           | /a%20b
      /a%zzb%2                         | /a%zzb%2
      /a%                              | /a%
      /articles/12;jsessionid=ABC123   | /articles/12
      /articles;v=1/12                 | /articles/12
      /articles/12;jsessionid=X/       | /articles/12/
      /articles/12/                    | /articles/12/
      /articles/12//                   | /articles/12/
      /articles/                       | /articles/
      /a/.b                            | /a/.b
      /a/..b                           | /a/..b
      /a/b.                            | /a/b.
      /a/b..                           | /a/b..
      /.well-known/x                   | /.well-known/x
      /..                              | /
      /.                               | /
      /a/.                             | /a/
      /a/..                            | /
      a/b                              | /a/b
      """)
  void normalizesThePath(String raw, String expected) {
    assertThat(key(Builtins.pathResolver(Set.of()), raw, null)).isEqualTo(expected);
    assertThat(Builtins.normalizePath(raw)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # decoded path (as a container maps it) | canonical encoding
      /articles/12                     | /articles/12
      /a!b$c&d'e(f)g*h+i,j=k:l@m~n     | /a!b$c&d'e(f)g*h+i,j=k:l@m~n
      /a;b                             | /a%3Bb
      /a%b                             | /a%25b
      `/a b`                           | /a%20b
      /café                       | /caf%C3%A9
      /a?b#c                           | /a%3Fb%23c
      /a\\b                           | /a%5Cb
      """)
  void encodesADecodedPathOneWayThatNormalizationKeeps(String decoded, String expected) {
    assertThat(Builtins.encodePath(decoded)).isEqualTo(expected);
    assertThat(Builtins.normalizePath(expected)).isEqualTo(expected);
  }

  @Test
  void aTrailingSlashIsAnotherResource() {
    ResourceKeyResolver resolver = Builtins.pathResolver(Set.of());
    assertThat(key(resolver, "/a/", null)).isNotEqualTo(key(resolver, "/a", null));
  }

  @ParameterizedTest(name = "[{index}] ?{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # raw query                        | key
      ``                                 | /list
      lang=en                            | /list?lang=en
      page=2&lang=en                     | /list?lang=en&page=2
      lang=en&page=2                     | /list?lang=en&page=2
      z=9&page=2&utm=x&lang=en&a=1       | /list?lang=en&page=2
      utm=x                              | /list
      page=2&page=1                      | /list?page=2&page=1
      &&page=2&                          | /list?page=2
      page                               | /list?page=
      page=a%20b                         | /list?page=a%20b
      page=a+b                           | /list?page=a%20b
      %70age=%7E                         | /list?page=%7E
      page=caf%C3%A9                     | /list?page=caf%C3%A9
      lang=%zz                           | /list?lang=%25zz
      """)
  void selectedQueryParametersFollowSortedByName(String query, String expected) {
    ResourceKeyResolver resolver = Builtins.pathResolver(Set.of("page", "lang"));
    assertThat(key(resolver, "/list", query)).isEqualTo(expected);
  }

  @Test
  void noQueryParameterMeansTheQueryIsIgnored() {
    ResourceKeyResolver resolver = Builtins.pathResolver(Set.of());
    assertThat(key(resolver, "/list", "page=2")).isEqualTo("/list");
    assertThat(key(Builtins.pathResolver(Set.of("page")), "/list", null)).isEqualTo("/list");
  }

  @Test
  void spellingsOfOneResourceShareOneKey() {
    ResourceKeyResolver resolver = Builtins.pathResolver(Set.of("v"));
    assertThat(List.of(
        key(resolver, "/a/~b/c", "v=1&x=2"),
        key(resolver, "//a/%7Eb/./c", "x=3&v=1"),
        key(resolver, "/a/x/../%7eb/c;jsessionid=1", "v=1")))
        .containsOnly("/a/~b/c?v=1");
  }
}
