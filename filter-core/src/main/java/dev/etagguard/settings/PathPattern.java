package dev.etagguard.settings;

import java.util.List;

/**
 * A servlet-style URL pattern (Servlet 6.0 section 12.2): {@code /exact/path}, a path prefix
 * {@code /articles/*} (which also matches {@code /articles}), an extension {@code *.json}, or
 * {@code /*} and {@code /} for everything. Matched against normalized request paths. Immutable.
 *
 * @param pattern the pattern as configured
 * @since 0.1
 */
public record PathPattern(String pattern) {

  /** Validates the syntax. */
  public PathPattern {
    if (pattern.isEmpty()) {
      throw new IllegalArgumentException("An empty path pattern");
    }
    boolean extension = pattern.startsWith("*.") && pattern.length() > 2 && pattern.indexOf('/') < 0
        && pattern.indexOf('*', 1) < 0;
    boolean path = pattern.startsWith("/")
        && (pattern.indexOf('*') < 0 || (pattern.endsWith("/*") && pattern.indexOf('*') == pattern.length() - 1));
    if (!extension && !path) {
      throw new IllegalArgumentException("Not a servlet path pattern: '" + pattern
          + "' (use /exact, /prefix/*, *.ext or /*)");
    }
  }

  /** Whether the normalized path matches. */
  public boolean matches(String path) {
    if (pattern.equals("/*") || pattern.equals("/")) {
      return true;
    }
    if (pattern.startsWith("*.")) {
      int slash = path.lastIndexOf('/');
      int dot = path.lastIndexOf('.');
      return dot > slash && path.regionMatches(dot, pattern, 1, pattern.length() - 1)
          && path.length() - dot == pattern.length() - 1;
    }
    if (pattern.endsWith("/*")) {
      int prefix = pattern.length() - 2;
      return path.startsWith(pattern.substring(0, prefix))
          && (path.length() == prefix || path.charAt(prefix) == '/');
    }
    return path.equals(pattern);
  }

  /** Parses a comma- or whitespace-separated list of patterns. */
  static List<PathPattern> parseList(String value) {
    return all(Option.items(value));
  }

  /** The patterns, one per item. */
  static List<PathPattern> all(List<String> items) {
    return items.stream().map(PathPattern::new).toList();
  }

  /** Whether any pattern matches. */
  static boolean any(List<PathPattern> patterns, String path) {
    for (int i = 0, n = patterns.size(); i < n; i++) { // no iterator: this runs for every request
      if (patterns.get(i).matches(path)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return pattern;
  }
}
