package dev.etagguard.http;

import java.util.List;

/**
 * The parsed value of an If-Match or If-None-Match header (RFC 9110 13.1.1 and 13.1.2): the
 * wildcard {@code *}, a list of entity tags, or a value that could not be parsed.
 *
 * <p>Produced by {@link EntityTags#parse(List)}. A {@link Malformed} value never matches anything;
 * whether it fails the request or is ignored is decided by {@code Preconditions}.
 *
 * @since 0.1
 */
public sealed interface EntityTagCondition {

  /** The wildcard {@code *}: any current representation. */
  EntityTagCondition ANY = new Any();

  /** The wildcard {@code *}. Use {@link #ANY}. */
  record Any() implements EntityTagCondition {
    @Override
    public String toString() {
      return "*";
    }
  }

  /**
   * A list of entity tags, in request order. May be empty (a field with only empty list elements).
   *
   * @param tags the listed tags, never {@code null}
   */
  record Tags(List<EntityTag> tags) implements EntityTagCondition {
    /** Copies the list. */
    public Tags {
      tags = List.copyOf(tags);
    }

    /** Whether any listed tag matches {@code current} by strong comparison. */
    public boolean anyStrongMatch(EntityTag current) {
      for (EntityTag tag : tags) {
        if (tag.strongMatch(current)) {
          return true;
        }
      }
      return false;
    }

    /** Whether any listed tag matches {@code current} by weak comparison. */
    public boolean anyWeakMatch(EntityTag current) {
      for (EntityTag tag : tags) {
        if (tag.weakMatch(current)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      for (EntityTag tag : tags) {
        if (sb.length() > 0) {
          sb.append(", ");
        }
        sb.append(tag);
      }
      return sb.toString();
    }
  }

  /**
   * A value that is not {@code *} nor a valid list, or that exceeds the parser's limits.
   *
   * @param reason a short, client-safe description of what is wrong
   */
  record Malformed(String reason) implements EntityTagCondition {
  }
}
