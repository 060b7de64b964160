package dev.etagguard.settings;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One rule of the option {@code invalidationRules}: a write to a path that matches {@link #source()}
 * changes the resources at {@link #targets()} too, so their validators are dropped from the store
 * when the write's handler has run. Immutable.
 *
 * <p>Syntax, rules separated by {@code ;} or line breaks:
 * <pre>
 * rule    = source "-&gt;" target *( "," target )
 * source  = 1*( "/" segment )      e.g. /articles/{id}
 * target  = "/" [ segment *( "/" segment ) ]   e.g. /articles, /authors/{author}/articles
 * segment = literal / "{" name "}"
 * </pre>
 * A literal segment matches itself (compared with the normalized request path, so write it as
 * the guard normalizes paths: no dot segments, unreserved characters unescaped); {@code {name}}
 * matches exactly one non-empty segment, and a target uses it to insert that segment. A target may
 * only use names its source binds; a name is bound once. Examples:
 * {@code /articles/{id} -> /articles}, {@code /a/{x}/b -> /a/{x}},
 * {@code /authors/{a}/articles/{id} -> /authors/{a}/articles, /articles}.
 *
 * @param source the pattern a written path must match, as configured
 * @param targets the paths whose validators the write makes stale, as configured
 * @since 0.1
 */
public record InvalidationRule(String source, List<String> targets) {

  /** Validates the syntax. */
  public InvalidationRule {
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("rule '" + source + " -> ' has no target");
    }
    List<String> bound = names(segments(source, "source"), true, source);
    for (String target : targets) {
      for (String name : names(segments(target, "target"), false, target)) {
        if (!bound.contains(name)) {
          throw new IllegalArgumentException("target '" + target + "' uses {" + name + "}, which source '"
              + source + "' does not bind");
        }
      }
    }
  }

  /**
   * Parses the option's value: rules separated by {@code ;} or line breaks, each
   * {@code source -> target, target...}.
   *
   * @throws IllegalArgumentException naming the malformed rule
   */
  public static List<InvalidationRule> parseList(String value) {
    List<InvalidationRule> rules = new ArrayList<>();
    for (String item : value.split("[;\\r\\n]+")) {
      String rule = item.strip();
      if (rule.isEmpty()) {
        continue;
      }
      int arrow = rule.indexOf("->");
      if (arrow < 0 || rule.indexOf("->", arrow + 2) >= 0) {
        throw new IllegalArgumentException("rule '" + rule + "' must be 'source -> target[, target...]'");
      }
      String source = rule.substring(0, arrow).strip();
      List<String> targets = new ArrayList<>();
      for (String t : rule.substring(arrow + 2).split(",", -1)) {
        String target = t.strip();
        if (target.isEmpty()) {
          throw new IllegalArgumentException("rule '" + rule + "' has an empty target");
        }
        targets.add(target);
      }
      rules.add(new InvalidationRule(source, targets));
    }
    return List.copyOf(rules);
  }

  /**
   * The paths this rule relates to a written path, or an empty list when the path does not match
   * {@link #source()}.
   *
   * @param path the normalized path of the write
   */
  public List<String> related(String path) {
    String[] pattern = source.split("/", -1);
    String[] actual = path.split("/", -1);
    if (pattern.length != actual.length) {
      return List.of();
    }
    for (int i = 1; i < pattern.length; i++) {
      boolean variable = pattern[i].startsWith("{");
      if (variable ? actual[i].isEmpty() : !pattern[i].equals(actual[i])) {
        return List.of();
      }
    }
    List<String> out = new ArrayList<>(targets.size());
    for (String target : targets) {
      StringBuilder sb = new StringBuilder(target.length() + 16);
      String[] parts = target.split("/", -1);
      for (int i = 1; i < parts.length; i++) {
        sb.append('/');
        String part = parts[i];
        if (part.startsWith("{")) {
          sb.append(actual[indexOf(pattern, part)]);
        } else {
          sb.append(part);
        }
      }
      out.add(sb.length() == 0 ? "/" : sb.toString());
    }
    return out;
  }

  private static int indexOf(String[] pattern, String variable) {
    for (int i = 0; i < pattern.length; i++) {
      if (pattern[i].equals(variable)) {
        return i;
      }
    }
    throw new IllegalStateException(variable);
  }

  /** The segments after the leading slash, checked. */
  private static String[] segments(String path, String what) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException(what + " '" + path + "' must start with /");
    }
    if ("/".equals(path)) {
      if ("source".equals(what)) {
        throw new IllegalArgumentException("source '/' matches no write; name a resource path");
      }
      return new String[0];
    }
    String[] segments = path.substring(1).split("/", -1);
    for (String s : segments) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException(what + " '" + path + "' has an empty segment");
      }
      boolean variable = s.startsWith("{") && s.endsWith("}") && s.length() > 2
          && s.substring(1, s.length() - 1).chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_');
      if (!variable) {
        for (int i = 0; i < s.length(); i++) {
          char c = s.charAt(i);
          if (c == '{' || c == '}' || c == '*' || c == '?' || c == '#' || c == ',' || c <= ' ' || c >= 0x7f) {
            throw new IllegalArgumentException(what + " '" + path + "': segment '" + s
                + "' is neither a literal nor a {name}");
          }
        }
        if (".".equals(s) || "..".equals(s)) {
          throw new IllegalArgumentException(what + " '" + path + "' has a dot segment");
        }
      }
    }
    return segments;
  }

  /** The variable names of the segments; for a source each may appear once. */
  private static List<String> names(String[] segments, boolean unique, String path) {
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String s : segments) {
      if (s.startsWith("{")) {
        String name = s.substring(1, s.length() - 1);
        if (unique && !seen.add(name)) {
          throw new IllegalArgumentException("source '" + path + "' binds {" + name + "} twice");
        }
        names.add(name);
      }
    }
    return names;
  }

  @Override
  public String toString() {
    return source + " -> " + String.join(", ", targets);
  }
}
