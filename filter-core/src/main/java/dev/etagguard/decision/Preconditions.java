package dev.etagguard.decision;

import java.time.Instant;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.EntityTagCondition;
import dev.etagguard.http.IfRange;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;



/**
 * The precondition decisions of RFC 9110 section 13.2.2 and the write-precondition policy of
 * RFC 6585 section 3, as pure functions: no I/O, no clock, no locks. Everything a decision needs
 * is an argument.
 *
 * <p>Rules, with the RFC's reasons:
 * <ul>
 *   <li>If-Match uses strong comparison; a weak tag on either side never matches (8.8.3.2). Only
 *       where the configuration asks for it (option {@code weakIfMatchPaths}) does it use weak
 *       comparison, see {@link #evaluate(String, RequestConditions, Validators, boolean)}.
 *   <li>If-Match {@code *} is true when a current representation exists, whatever its validators.
 *   <li>If-Unmodified-Since is ignored when If-Match is present or the resource has no
 *       Last-Modified; If-Modified-Since when If-None-Match is present, for methods other than
 *       GET and HEAD, or when there is no Last-Modified (13.1.3, 13.1.4).
 *   <li>If-None-Match uses weak comparison; {@code *} is false when a representation exists.
 *   <li>If-Range needs a strong tag that strongly matches, or a date exactly equal to
 *       Last-Modified (13.1.5).
 *   <li>A malformed If-Match or If-None-Match never matches. On an unsafe request it never
 *       authorizes the method: {@link #require} answers {@link Requirement#MALFORMED} (400), and
 *       should evaluation still see one, it fails with 412.
 * </ul>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc9110#section-13.2.2">RFC 9110 13.2.2</a>
 * @since 0.1
 */
public final class Preconditions {

  private Preconditions() {
  }

  /**
   * Evaluates the preconditions of a request against the current state of its target resource.
   *
   * @param method the request method, upper case
   * @param conditions the request's parsed conditional headers
   * @param current the resource's current state
   * @return what to do with the request
   */
  public static Outcome evaluate(String method, RequestConditions conditions, Validators current) {
    return evaluate(method, conditions, current, false);
  }

  /**
   * Evaluates the preconditions of a request, If-Match with weak comparison when
   * {@code weakIfMatch}: then {@code W/"x"} and {@code "x"} match each other (RFC 9110 8.8.3.2),
   * which proves semantic equivalence only, not byte identity. Everything else is as
   * {@link #evaluate(String, RequestConditions, Validators)}; If-Range stays strong.
   *
   * @param method the request method, upper case
   * @param conditions the request's parsed conditional headers
   * @param current the resource's current state
   * @param weakIfMatch whether If-Match uses weak comparison (option {@code weakIfMatchPaths})
   * @return what to do with the request
   * @since 0.1
   */
  public static Outcome evaluate(String method, RequestConditions conditions, Validators current, boolean weakIfMatch) {
    boolean getOrHead = isGetOrHead(method);
    boolean safe = isSafe(method);

    // Step 1: If-Match present -> evaluate it; false -> 412.
    if (conditions.ifMatch() != null) {
      if (!ifMatch(conditions.ifMatch(), current, weakIfMatch)) {
        return Outcome.PRECONDITION_FAILED;
      }
    } else if (conditions.ifUnmodifiedSince() != null) {
      // Step 2: no If-Match, If-Unmodified-Since present -> evaluate it; false -> 412.
      if (!ifUnmodifiedSince(conditions.ifUnmodifiedSince(), current)) {
        return Outcome.PRECONDITION_FAILED;
      }
    }

    // Step 3: If-None-Match present -> evaluate it; false -> 304 for GET/HEAD, else 412.
    if (conditions.ifNoneMatch() != null) {
      if (!ifNoneMatch(conditions.ifNoneMatch(), current, safe)) {
        return getOrHead ? Outcome.NOT_MODIFIED : Outcome.PRECONDITION_FAILED;
      }
    } else if (getOrHead && conditions.ifModifiedSince() != null) {
      // Step 4: GET/HEAD, no If-None-Match, If-Modified-Since present -> false -> 304.
      if (!ifModifiedSince(conditions.ifModifiedSince(), current)) {
        return Outcome.NOT_MODIFIED;
      }
    }

    // Step 5: GET with Range and If-Range -> If-Range false -> ignore Range.
    if ("GET".equals(method) && conditions.range() != null && conditions.ifRange() != null
        && !ifRange(conditions.ifRange(), current)) {
      return Outcome.IGNORE_RANGE;
    }

    // Step 6: perform the method.
    return Outcome.PROCEED;
  }

  /**
   * Evaluates an unsafe request's preconditions against a resource with several current
   * representations, selected by content negotiation: If-Match holds when a listed tag matches
   * any of their tags, If-None-Match when it matches none of them (RFC 9110 13.1.1, 13.1.2: each
   * compares with "the current representations"); dates compare with {@code current}'s. With no
   * {@code variantTags}, this is {@link #evaluate(String, RequestConditions, Validators, boolean)}.
   *
   * @param method the request method, upper case, not GET or HEAD
   * @param conditions the request's parsed conditional headers
   * @param current the resource's current state, as the validator store holds it
   * @param variantTags the tags of all its current representations ({@code current}'s among them),
   *     or none
   * @param weakIfMatch whether If-Match uses weak comparison (option {@code weakIfMatchPaths})
   * @return what to do with the request
   * @since 0.1
   */
  public static Outcome evaluate(String method, RequestConditions conditions, Validators current,
      java.util.Collection<EntityTag> variantTags, boolean weakIfMatch) {
    if (variantTags.isEmpty() || isGetOrHead(method)) {
      return evaluate(method, conditions, current, weakIfMatch);
    }
    // Steps 1 and 2 hold when one representation satisfies them.
    RequestConditions ifMatchOnly = new RequestConditions(conditions.ifMatch(), conditions.ifUnmodifiedSince(), null,
        null, null, null);
    boolean matched = false;
    for (EntityTag tag : variantTags) {
      if (evaluate(method, ifMatchOnly, variant(current, tag), weakIfMatch) == Outcome.PROCEED) {
        matched = true;
        break;
      }
    }
    if (!matched) {
      return Outcome.PRECONDITION_FAILED;
    }
    // Step 3 holds when no representation matches If-None-Match.
    if (conditions.ifNoneMatch() != null) {
      RequestConditions ifNoneMatchOnly = new RequestConditions(null, null, conditions.ifNoneMatch(), null, null, null);
      for (EntityTag tag : variantTags) {
        if (evaluate(method, ifNoneMatchOnly, variant(current, tag), weakIfMatch) != Outcome.PROCEED) {
          return Outcome.PRECONDITION_FAILED;
        }
      }
    }
    return Outcome.PROCEED;
  }

  private static Validators variant(Validators current, EntityTag tag) {
    return new Validators(current.exists(), tag, current.lastModified(), current.weakLastModified());
  }

  /**
   * The write-precondition policy, decided before the resource is looked up or locked.
   *
   * <p>A malformed If-Match or If-None-Match on an unsafe method is {@link Requirement#MALFORMED},
   * guarded or not. A guarded unsafe request must carry If-Match, a valid If-Unmodified-Since or
   * If-None-Match; If-Modified-Since and If-Range alone are not preconditions, and an invalid
   * If-Unmodified-Since counts as absent.
   *
   * @param method the request method, upper case
   * @param conditions the request's parsed conditional headers
   * @param guarded whether the configuration requires a precondition for this method and path
   * @param acceptIfMatchAny whether {@code If-Match: *} satisfies the policy
   */
  public static Requirement require(String method, RequestConditions conditions, boolean guarded,
      boolean acceptIfMatchAny) {
    if (isSafe(method)) {
      return Requirement.SATISFIED;
    }
    if (conditions.hasMalformedTags()) {
      return Requirement.MALFORMED;
    }
    if (!guarded) {
      return Requirement.SATISFIED;
    }
    boolean ifMatch = conditions.ifMatch() != null
        && (acceptIfMatchAny || !(conditions.ifMatch() instanceof EntityTagCondition.Any));
    return ifMatch || conditions.ifUnmodifiedSince() != null || conditions.ifNoneMatch() != null
        ? Requirement.SATISFIED
        : Requirement.MISSING;
  }

  /** RFC 9110 13.1.1 If-Match, with strong comparison, or weak where configured. */
  static boolean ifMatch(EntityTagCondition condition, Validators current, boolean weak) {
    if (!current.exists()) {
      return false;
    }
    if (condition instanceof EntityTagCondition.Any) {
      return true;
    }
    EntityTag etag = current.etag();
    return etag != null && condition instanceof EntityTagCondition.Tags tags
        && (weak ? tags.anyWeakMatch(etag) : tags.anyStrongMatch(etag));
  }

  /**
   * RFC 9110 13.1.4 If-Unmodified-Since; a resource without Last-Modified ignores it (true). A
   * {@linkplain Validators#weakLastModified() weak} date equal to the given one may belong to an
   * older version changed in the same second, so it fails.
   */
  static boolean ifUnmodifiedSince(Instant date, Validators current) {
    if (current.lastModified() == null) {
      return true;
    }
    long lm = current.lastModifiedSeconds();
    long since = date.getEpochSecond();
    return lm < since || (lm == since && !current.weakLastModified());
  }

  /** RFC 9110 13.1.2 If-None-Match. A malformed value never matches: true for safe methods, false for unsafe. */
  static boolean ifNoneMatch(EntityTagCondition condition, Validators current, boolean safe) {
    if (condition instanceof EntityTagCondition.Malformed) {
      return safe;
    }
    if (condition instanceof EntityTagCondition.Any) {
      return !current.exists();
    }
    EntityTag etag = current.etag();
    return etag == null || !((EntityTagCondition.Tags) condition).anyWeakMatch(etag);
  }

  /**
   * RFC 9110 13.1.3 If-Modified-Since; a resource without Last-Modified ignores it (true). A
   * {@linkplain Validators#weakLastModified() weak} date equal to the given one counts as
   * modified: the client's copy may be an older version of the same second.
   */
  static boolean ifModifiedSince(Instant date, Validators current) {
    if (!current.exists() || current.lastModified() == null) {
      return true;
    }
    long lm = current.lastModifiedSeconds();
    long since = date.getEpochSecond();
    return lm > since || (lm == since && current.weakLastModified());
  }

  /**
   * RFC 9110 13.1.5 If-Range: a strong match of a strong tag, or an exact Last-Modified date that
   * is not {@linkplain Validators#weakLastModified() weak}.
   */
  public static boolean ifRange(IfRange condition, Validators current) {
    if (!current.exists()) {
      return false;
    }
    if (condition instanceof IfRange.Tag tag) {
      EntityTag etag = current.etag();
      return etag != null && tag.tag().strongMatch(etag);
    }
    if (condition instanceof IfRange.Date date) {
      return current.lastModified() != null && !current.weakLastModified()
          && current.lastModifiedSeconds() == date.date().getEpochSecond();
    }
    return false;
  }

  /** GET or HEAD. */
  public static boolean isGetOrHead(String method) {
    return "GET".equals(method) || "HEAD".equals(method);
  }

  /** The safe methods of RFC 9110 9.2.1 that this project treats as reads. */
  public static boolean isSafe(String method) {
    return switch (method) {
      case "GET", "HEAD", "OPTIONS", "TRACE" -> true;
      default -> false;
    };
  }

}
