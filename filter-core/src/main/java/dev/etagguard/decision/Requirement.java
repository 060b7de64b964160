package dev.etagguard.decision;

/**
 * The result of the write-precondition policy, decided before the resource is looked up.
 *
 * @see Preconditions#require(String, dev.etagguard.http.RequestConditions, boolean, boolean)
 * @since 0.1
 */
public enum Requirement {
  /** The request may go on to evaluation. */
  SATISFIED,
  /**
   * A guarded write carries no usable precondition: 428 Precondition Required (RFC 6585 section 3),
   * or the configured alternative status.
   */
  MISSING,
  /** If-Match or If-None-Match on an unsafe request could not be parsed: 400 Bad Request. */
  MALFORMED
}
