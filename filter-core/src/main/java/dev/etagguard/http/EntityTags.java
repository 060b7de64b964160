package dev.etagguard.http;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Parser for If-Match and If-None-Match field values:
 * {@code "*" / #entity-tag} (RFC 9110 13.1.1, 13.1.2) with the list rules of RFC 9110 5.6.1.
 *
 * <p>Several field lines are one comma-separated list, in order. Empty list elements are ignored
 * (5.6.1.2). A comma inside the quotes of an entity tag does not split. {@code *} must be the
 * whole field value: {@code *} next to tags, or in more than one field line, is malformed.
 * Input beyond {@link #DEFAULT_MAX_TAGS} tags or {@link #DEFAULT_MAX_LENGTH} characters is
 * malformed, so a hostile header costs bounded work. The parser never throws. Thread-safe.
 *
 * @since 0.1
 */
public final class EntityTags {

  /** The most tags accepted in one header (all field lines together): {@value}. */
  public static final int DEFAULT_MAX_TAGS = 64;

  /** The most characters accepted in one header (all field lines together): {@value}. */
  public static final int DEFAULT_MAX_LENGTH = 8192;

  private EntityTags() {
  }

  /**
   * Parses the field lines of one header with the default limits.
   *
   * @return {@code null} when there are no field lines, otherwise the condition
   */
  public static @Nullable EntityTagCondition parse(List<String> fieldLines) {
    return parse(fieldLines, DEFAULT_MAX_TAGS, DEFAULT_MAX_LENGTH);
  }

  /** Parses one field value with the default limits; {@code null} for a {@code null} value. */
  public static @Nullable EntityTagCondition parse(@Nullable String fieldValue) {
    return fieldValue == null ? null : parse(List.of(fieldValue));
  }

  /**
   * Parses the field lines of one header.
   *
   * @param fieldLines the values of each field line, in order
   * @param maxTags the most tags accepted
   * @param maxLength the most characters accepted over all lines
   * @return {@code null} when there are no field lines, otherwise the condition
   */
  public static @Nullable EntityTagCondition parse(List<String> fieldLines, int maxTags, int maxLength) {
    if (fieldLines.isEmpty()) {
      return null;
    }
    long total = 0;
    for (String line : fieldLines) {
      total += line.length();
    }
    if (total > maxLength) {
      return new EntityTagCondition.Malformed("field value longer than " + maxLength + " characters");
    }
    List<EntityTag> tags = new ArrayList<>(4);
    boolean star = false;
    for (String line : fieldLines) {
      int i = 0;
      int n = line.length();
      while (true) {
        // Skip OWS and empty list elements.
        while (i < n && (EntityTag.isOws(line.charAt(i)) || line.charAt(i) == ',')) {
          i++;
        }
        if (i >= n) {
          break;
        }
        char c = line.charAt(i);
        if (c == '*') {
          if (star || !tags.isEmpty()) {
            return new EntityTagCondition.Malformed("'*' must be the only member");
          }
          star = true;
          i++;
        } else {
          if (star) {
            return new EntityTagCondition.Malformed("'*' must be the only member");
          }
          boolean weak = false;
          if (c == 'W' && i + 1 < n && line.charAt(i + 1) == '/') {
            weak = true;
            i += 2;
          }
          if (i >= n || line.charAt(i) != '"') {
            return new EntityTagCondition.Malformed("entity tags must be quoted");
          }
          int open = ++i;
          while (i < n && line.charAt(i) != '"') {
            if (!EntityTag.isEtagc(line.charAt(i))) {
              return new EntityTagCondition.Malformed("invalid character in entity tag");
            }
            i++;
          }
          if (i >= n) {
            return new EntityTagCondition.Malformed("unterminated entity tag");
          }
          if (tags.size() == maxTags) {
            return new EntityTagCondition.Malformed("more than " + maxTags + " entity tags");
          }
          tags.add(new EntityTag(line.substring(open, i), weak));
          i++;
        }
        // After a member: OWS, then a comma or the end of the line.
        while (i < n && EntityTag.isOws(line.charAt(i))) {
          i++;
        }
        if (i < n && line.charAt(i) != ',') {
          return new EntityTagCondition.Malformed("list members must be separated by commas");
        }
      }
    }
    if (star) {
      return EntityTagCondition.ANY;
    }
    return new EntityTagCondition.Tags(tags);
  }
}
