package dev.etagguard.decision;

/**
 * The result of evaluating the preconditions of a request (RFC 9110 13.2.2).
 *
 * @since 0.1
 */
public enum Outcome {
  /** Every condition holds: perform the method, honouring Range if present. */
  PROCEED,
  /** Perform the method but ignore Range, because If-Range did not match (step 5). */
  IGNORE_RANGE,
  /** Answer 304 Not Modified (GET or HEAD whose If-None-Match or If-Modified-Since is false). */
  NOT_MODIFIED,
  /** Answer 412 Precondition Failed. */
  PRECONDITION_FAILED
}
