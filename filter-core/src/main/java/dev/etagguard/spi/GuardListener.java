package dev.etagguard.spi;

/**
 * Observes the guard's decisions, for metrics and logs. Called on request threads; must be
 * thread-safe and fast, and must not throw.
 *
 * @since 0.1
 */
public interface GuardListener {

  /** What the guard did with a request. */
  enum Decision {
    /** Outside the guard's scope, or not a REQUEST dispatch: untouched. */
    PASSED_THROUGH,
    /** Handled by the handler and answered with its status (validators added where applicable). */
    SERVED,
    /** Answered 304 Not Modified. */
    NOT_MODIFIED,
    /** Answered 412 Precondition Failed. */
    PRECONDITION_FAILED,
    /** Answered 428 Precondition Required (or the configured alternative). */
    PRECONDITION_REQUIRED,
    /** Answered 400: a malformed If-Match or If-None-Match on a write. */
    BAD_REQUEST,
    /**
     * Answered 503: the permit was not granted in time, the queue was full, or a shared
     * sequencer or validator store could not be reached.
     */
    UNAVAILABLE,
    /** Answered 416 Range Not Satisfiable. */
    RANGE_NOT_SATISFIABLE,
    /**
     * Answered 409: a write whose fenced permit was lost while another writer went ahead (see
     * {@link WriteSequencer.Permit#fencingToken()}).
     *
     * @since 0.1
     */
    CONFLICT
  }

  /**
   * A request was decided. For {@link Decision#PASSED_THROUGH} the key is the normalized path
   * (the request was not resolved further).
   */
  default void onDecision(ResourceKey key, String method, Decision decision) {
  }

  /** A permit (a write's, or a read's with {@code readPermits}) was granted after waiting {@code waitNanos}. */
  default void onPermitGranted(ResourceKey key, long waitNanos) {
  }

  /** A request gave up on its permit after waiting {@code waitNanos} (timeout, full queue, request gone). */
  default void onPermitUnavailable(ResourceKey key, long waitNanos) {
  }

  /**
   * A 304 Not Modified was answered: the value of conditional GETs. {@code bytesNotSent} is the
   * length of the representation the full response would have carried (0 for HEAD), or {@code -1}
   * when it is not known (a handler that answered 304 itself, a body too large to hold). Called
   * besides {@link #onDecision} with {@link Decision#NOT_MODIFIED}.
   *
   * @since 0.1
   */
  default void onNotModified(ResourceKey key, String method, long bytesNotSent) {
  }

  /**
   * A write was refused with 412 because its precondition did not hold against the resource's
   * current state (a stale If-Match or If-Unmodified-Since, or If-None-Match on a resource that
   * exists): a lost update prevented. Called besides {@link #onDecision} with
   * {@link Decision#PRECONDITION_FAILED}.
   *
   * @since 0.1
   */
  default void onLostUpdatePrevented(ResourceKey key, String method) {
  }

  /**
   * A write was recognized as the replay of one that had already succeeded, and answered with that
   * write's original success instead of 412 (RFC 9110 13.1.1: the server can determine that the
   * state-changing request has already succeeded).
   *
   * @since 0.1
   */
  default void onRetryRecognized(ResourceKey key, String method) {
  }

  /** A listener that does nothing. */
  static GuardListener none() {
    return NoListener.INSTANCE;
  }
}

/** The do-nothing listener. */
final class NoListener implements GuardListener {
  static final NoListener INSTANCE = new NoListener();
}
