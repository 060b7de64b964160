package dev.etagguard.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ResourceKeyResolver;

import org.jspecify.annotations.Nullable;

/**
 * Normalizes the request path into a key (RFC 3986 6.2.2): path parameters removed,
 * percent-encoded unreserved characters decoded and other escapes upper-cased, duplicate slashes
 * collapsed, dot segments removed. A trailing slash is kept: {@code /a/} and {@code /a} are
 * different resources. Selected query parameters follow, sorted by name.
 */
final class PathKeyResolver implements ResourceKeyResolver {

  private final Set<String> queryParameters;

  PathKeyResolver(Set<String> queryParameters) {
    this.queryParameters = Set.copyOf(new TreeSet<>(queryParameters));
  }

  @Override
  public ResourceKey resolve(RequestView request) {
    return resolveNormalized(normalize(request.path()), request);
  }

  /** The key of a request whose path is already normalized. */
  ResourceKey resolveNormalized(String path, RequestView request) {
    if (queryParameters.isEmpty()) {
      return new ResourceKey(path);
    }
    String query = canonicalQuery(request.query());
    return new ResourceKey(query.isEmpty() ? path : path + '?' + query);
  }

  /** The normalized form of a raw path. */
  static String normalize(String raw) {
    return isNormal(raw) ? raw : normalizeSegments(raw);
  }

  /**
   * Whether a path is already in normal form, as almost every request path is: absolute, no
   * percent sign, no path parameter, no empty segment but a trailing one, no dot segment. Then
   * {@link #normalizeSegments} would return it unchanged.
   */
  private static boolean isNormal(String raw) {
    int n = raw.length();
    if (n == 0 || raw.charAt(0) != '/') {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = raw.charAt(i);
      if (c == '%' || c == ';') {
        return false;
      }
      if (c == '/' && i + 1 < n) {
        char next = raw.charAt(i + 1);
        if (next == '/') {
          return false;
        }
        if (next == '.' && (i + 2 == n || raw.charAt(i + 2) == '/'
            || (raw.charAt(i + 2) == '.' && (i + 3 == n || raw.charAt(i + 3) == '/')))) {
          return false;
        }
      }
    }
    return true;
  }

  private static String normalizeSegments(String raw) {
    String[] parts = raw.split("/", -1);
    List<String> out = new ArrayList<>(parts.length);
    boolean trailingSlash = false;
    // parts[0] is what precedes the leading slash: empty for every absolute path.
    for (int i = 0; i < parts.length; i++) {
      String segment = segment(parts[i]);
      boolean last = i == parts.length - 1;
      switch (segment) {
        case ".." -> {
          if (!out.isEmpty()) {
            out.remove(out.size() - 1);
          }
          trailingSlash = true;
        }
        case "." -> trailingSlash = true;
        case "" -> trailingSlash |= last && i > 0;
        default -> {
          out.add(segment);
          trailingSlash = false;
        }
      }
    }
    StringBuilder sb = new StringBuilder(raw.length() + 1);
    for (String s : out) {
      sb.append('/').append(s);
    }
    if (out.isEmpty() || trailingSlash) {
      sb.append('/');
    }
    return sb.toString();
  }

  /**
   * Percent-encodes a decoded path (as a host maps it: escapes decoded, dot segments and path
   * parameters removed) in the one spelling {@link #normalize} keeps unchanged: unreserved
   * characters, sub-delimiters other than {@code ;}, {@code :}, {@code @} and {@code /} as they
   * are, every other character as the upper-case escapes of its UTF-8 bytes.
   */
  static String encodeDecoded(String decodedPath) {
    StringBuilder sb = null;
    for (int i = 0; i < decodedPath.length(); i++) {
      if (!keptAsIs(decodedPath.charAt(i))) {
        sb = new StringBuilder(decodedPath.length() + 16).append(decodedPath, 0, i);
        for (byte b : decodedPath.substring(i).getBytes(StandardCharsets.UTF_8)) {
          char c = (char) (b & 0xff);
          if (keptAsIs(c)) {
            sb.append(c);
          } else {
            sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
          }
        }
        break;
      }
    }
    return sb == null ? decodedPath : sb.toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private static boolean keptAsIs(char c) {
    return isUnreserved(c) || c == '/' || c == ':' || c == '@' || c == '!' || c == '$' || c == '&' || c == '\''
        || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == '=';
  }

  /** One segment: path parameters cut, escapes normalized. */
  private static String segment(String part) {
    int semicolon = part.indexOf(';');
    String s = semicolon >= 0 ? part.substring(0, semicolon) : part;
    if (s.indexOf('%') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int hi = c == '%' && i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
      int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
      if (lo < 0) {
        sb.append(c);
        continue;
      }
      char decoded = (char) (hi * 16 + lo);
      if (isUnreserved(decoded)) {
        sb.append(decoded);
      } else {
        sb.append('%').append(Character.toUpperCase(s.charAt(i + 1))).append(Character.toUpperCase(s.charAt(i + 2)));
      }
      i += 2;
    }
    return sb.toString();
  }

  private static boolean isUnreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  /** The selected parameters, sorted by name, values in request order, re-encoded canonically. */
  private String canonicalQuery(@Nullable String query) {
    if (query == null || query.isEmpty()) {
      return "";
    }
    List<String[]> pairs = new ArrayList<>();
    for (String part : query.split("&", -1)) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String name = decode(eq < 0 ? part : part.substring(0, eq));
      if (queryParameters.contains(name)) {
        pairs.add(new String[] {name, eq < 0 ? "" : decode(part.substring(eq + 1))});
      }
    }
    pairs.sort((a, b) -> a[0].compareTo(b[0]));
    StringBuilder sb = new StringBuilder();
    for (String[] p : pairs) {
      if (sb.length() > 0) {
        sb.append('&');
      }
      sb.append(encode(p[0])).append('=').append(encode(p[1]));
    }
    return sb.toString();
  }

  private static String decode(String s) {
    try {
      return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // malformed escapes stay as sent
    }
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public String toString() {
    return "PathKeyResolver{queryParameters=" + queryParameters + "}";
  }
}
