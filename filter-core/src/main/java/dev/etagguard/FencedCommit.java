package dev.etagguard;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.GuardListener.Decision;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer.Permit;

import org.jspecify.annotations.Nullable;

/**
 * The commit of one write under a fenced permit: a distributed lock whose lease a pause or a
 * failover can take away while the write runs. The lock only orders writers; the shared
 * validator store is the arbiter, through {@code compareAndSet}:
 *
 * <pre>
 * begin   (precondition passed, before the handler):  CAS(found -&gt; marker)
 * commit  (after a successful handler):               CAS(marker -&gt; new validators)
 *                                                     CAS(marker -&gt; marker) when they are unknown
 * </pre>
 *
 * <p>The marker is unique to the write and matches no precondition (a weak tag, which
 * {@code If-Match} never accepts, and which the engine treats as "unknown"): while it stands,
 * every other writer learns the resource's state from the handler again, so a write that died
 * half way (instance crash, store gone) leaves an unknown state behind, never a stale one. And a
 * writer that began after this one must have replaced the marker, so this write's commit fails
 * exactly when its permit was lost and another writer went ahead: the answer is then 409, in
 * place of the handler's success, and the key is made unknown again. A store that cannot be
 * reached answers 503.
 *
 * <p>Used by one request at a time, like its {@link Admission}.
 */
final class FencedCommit {

  private static final System.Logger LOG = System.getLogger(FencedCommit.class.getName());

  /** The opaque prefix of the weak tag that marks a write in progress. */
  static final String MARKER_PREFIX = "etag-guard-write-";

  private final GuardEngine engine;
  private final ResourceKey key;
  private final String method;
  private final Permit permit;
  private final long token;
  private @Nullable Validators marker;

  FencedCommit(GuardEngine engine, ResourceKey key, String method, Permit permit, long token) {
    this.engine = engine;
    this.key = key;
    this.method = method;
    this.permit = permit;
    this.token = token;
  }

  /** Whether stored validators are a write's marker, which stands for "unknown". */
  static boolean isMarker(@Nullable Validators v) {
    EntityTag tag = v == null ? null : v.etag();
    return tag != null && tag.weak() && tag.opaque().startsWith(MARKER_PREFIX);
  }

  private Validators newMarker() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return Validators.of(EntityTag.weak(MARKER_PREFIX + token + "-" + Long.toHexString(random.nextLong())
        + Long.toHexString(random.nextLong())), null);
  }

  /** The fencing token of the write's permit. */
  long token() {
    return token;
  }

  /**
   * Puts the write's marker in place of what the store held when the precondition was checked.
   *
   * @param found what the store held (a marker counts; {@code null}: nothing or not read)
   * @param basis the state the precondition was evaluated against, or {@code null} when the
   *     write has no precondition
   * @return {@code null} to run the handler, else the answer (409 or 503)
   */
  @Nullable Answer begin(@Nullable Validators found, @Nullable Validators basis) {
    if (!permit.valid()) {
      return conflict("The write's turn on this resource expired before it could run; read it again and retry.");
    }
    Validators mine = newMarker();
    try {
      Validators expected = found;
      for (int attempt = 0; attempt < 2; attempt++) {
        if (engine.store.compareAndSet(key, expected, mine)) {
          marker = mine;
          return null;
        }
        // Changed since it was read. Go on only when it changed to exactly the state the
        // precondition held for (a store that records reads may have done so meanwhile); a
        // marker means another writer holds the resource too.
        Validators now = engine.store.get(key);
        if (isMarker(now) || (basis != null && !basis.equals(now))) {
          break;
        }
        expected = now;
      }
    } catch (RuntimeException e) {
      return unavailable(e, false);
    }
    return conflict("Another write to this resource went ahead of this one; read it again and retry.");
  }

  /**
   * Records the write's outcome in place of its marker.
   *
   * @param next the new validators, or {@code null} when they are unknown (the key stays unknown)
   * @return {@code null} when committed, else the answer to send instead of the handler's (409
   *     when another writer began after this write's permit was lost, 503 when the store
   *     cannot be reached)
   */
  @Nullable Answer commit(@Nullable Validators next) {
    Validators mine = marker;
    if (mine == null) {
      return null;
    }
    try {
      if (engine.store.compareAndSet(key, mine, next != null && next.etag() != null ? next : mine)) {
        return null;
      }
    } catch (RuntimeException e) {
      return unavailable(e, true);
    }
    // Lost: whatever the handler's storage now holds, the stored validators may not describe
    // it (unless the handler fenced its write), so the next writer learns the state again.
    try {
      Validators now = engine.store.get(key);
      if (now != null && !isMarker(now)) {
        engine.store.compareAndSet(key, now, newMarker());
      }
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not forget the validators of " + key + " after a lost commit", e);
    }
    LOG.log(Level.WARNING, () -> "ETag Guard: the " + method + " of " + key + " (fencing token " + token
        + ") lost its permit and another writer went ahead; answered 409");
    return conflict("This write's turn on the resource was lost (the lock's lease expired) and another write "
        + "went ahead; this write may not have been applied. Read the resource again and retry.");
  }

  private Answer conflict(String detail) {
    engine.listener.onDecision(key, method, Decision.CONFLICT);
    return new Answer(409, Map.of(), Problem.of("write-conflict", "Conflict", 409, detail, key.value()));
  }

  private Answer unavailable(RuntimeException e, boolean handlerRan) {
    LOG.log(Level.WARNING, () -> "ETag Guard: the validator store could not be reached for the " + method + " of "
        + key + ": " + e);
    engine.listener.onDecision(key, method, Decision.UNAVAILABLE);
    long retry = Math.max(1, engine.settings.permitTimeout().toSeconds() / 10);
    String detail = handlerRan
        ? "The write ran, but the shared validator store could not record it, so the guard does not know the "
            + "resource's state until it is written again. Read it before retrying."
        : "The shared validator store could not be reached, so the write was not run; retry later.";
    return new Answer(503, Map.of("Retry-After", Long.toString(retry)), Problem.of(
        handlerRan ? "write-unconfirmed" : "validator-store-unavailable", "Service Unavailable", 503, detail, key.value()));
  }
}
