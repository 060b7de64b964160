package dev.etagguard;

import dev.etagguard.problem.Problem;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.GuardListener.Decision;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer.Permit;
import dev.etagguard.spi.WriteSequencer.StoreEntry;

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
 * <p>When the permit brings its key's {@linkplain Permit#storeEntry() store entry} (and it is the
 * engine's store), what the grant read stands for the store's first read, and a commit that
 * succeeds releases the permit in the same step: one round trip each fewer, the same steps.
 *
 * <p>The marker is unique to the write and matches no precondition (a weak tag, which
 * {@code If-Match} never accepts, and which the engine treats as "unknown"): while it stands,
 * every other writer learns the resource's state from the handler again, so a write that died
 * half way (instance crash, store gone) leaves an unknown state behind, never a stale one. And a
 * writer that began after this one must have replaced the marker, so this write's commit fails
 * when its permit was lost and another writer went ahead: the answer is then 409, in place of the
 * handler's success, and the key is made unknown again. But the commit also fails when the store
 * lost its state while the write ran (a Redis restarted without persistence, a failover to a
 * replica that had not seen the marker): then nothing shows that another writer went ahead, the
 * write may well have been applied, and a 409 would have the client apply its change a second
 * time. So a failed commit answers 409 only on evidence of another writer, what the store holds
 * in place of the marker:
 *
 * <ul>
 *   <li>another write's marker with a larger fencing token: a writer that was granted the
 *       resource after this one began;</li>
 *   <li>validators other than those this write replaced: another writer's commit.</li>
 * </ul>
 *
 * <p>Anything else, nothing stored or unreadable, the very validators this write replaced (a
 * state restored from before the write) or a marker with a token not larger than this write's,
 * answers 503 {@code write-unconfirmed}, as does a store that cannot be reached: the outcome is
 * unknown, and the key is left (or made) unknown.
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
  /** The permit's entry in the engine's store, read with the grant; {@code null}: the store is asked. */
  private final @Nullable StoreEntry entry;
  private @Nullable Validators marker;
  /** What the marker replaced ({@code null}: nothing stored). */
  private @Nullable Validators replaced;

  FencedCommit(GuardEngine engine, ResourceKey key, String method, Permit permit, long token) {
    this.engine = engine;
    this.key = key;
    this.method = method;
    this.permit = permit;
    this.token = token;
    StoreEntry e = permit.storeEntry();
    this.entry = e != null && decorates(engine.store, e.store()) ? e : null;
  }

  /** Whether {@code store} is {@code shared}, or decorates it. */
  private static boolean decorates(ValidatorStore store, ValidatorStore shared) {
    for (ValidatorStore s = store; ; ) {
      if (s == shared) {
        return true;
      }
      ValidatorStore next = s.decorated();
      if (next == s || next == null) {
        return false;
      }
      s = next;
    }
  }

  /**
   * What the store holds for the key, for the precondition and the marker's compare-and-set:
   * as the permit's grant read it when it did (one round trip fewer), else asked now.
   */
  @Nullable Validators found() {
    StoreEntry e = entry;
    return e != null ? e.found() : engine.store.get(key);
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
          replaced = expected;
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
      return unavailable(e.toString(), false);
    }
    return conflict("Another write to this resource went ahead of this one; read it again and retry.");
  }

  /**
   * Records the write's outcome in place of its marker.
   *
   * @param next the new validators, or {@code null} when they are unknown (the key stays unknown)
   * @return {@code null} when committed, else the answer to send instead of the handler's (409
   *     when the store shows that another writer went ahead after this write's permit was lost,
   *     503 {@code write-unconfirmed} when the store cannot be reached or no longer holds what
   *     it would compare against)
   */
  @Nullable Answer commit(@Nullable Validators next) {
    Validators mine = marker;
    if (mine == null) {
      return null;
    }
    Validators recorded = next != null && next.etag() != null ? next : mine;
    try {
      // With the permit's store entry, a commit that succeeds also releases the permit, in the
      // same step; a refused one leaves it held for the steps below.
      StoreEntry e = entry;
      if (e != null ? e.compareAndSetAndRelease(mine, recorded) : engine.store.compareAndSet(key, mine, recorded)) {
        return null;
      }
    } catch (RuntimeException e) {
      return unavailable(e.toString(), true);
    }
    // Refused: the marker is gone. Whatever the handler's storage now holds, the stored
    // validators may not describe it (unless the handler fenced its write), so the next writer
    // learns the state again. (A failing read gives nothing, or throws.)
    Validators now;
    try {
      now = engine.store.get(key);
      if (now != null && !isMarker(now)) {
        engine.store.compareAndSet(key, now, newMarker());
      }
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not forget the validators of " + key + " after a lost commit", e);
      return unavailable(e.toString(), true);
    }
    String overtaken = overtakenBy(now);
    if (overtaken == null) {
      return unavailable("the store no longer holds the write's marker and nothing shows that another writer went "
          + "ahead (its state was lost or restored: a restart without persistence, a failover); the outcome is unknown",
          true);
    }
    LOG.log(Level.WARNING, () -> "ETag Guard: the " + method + " of " + key + " (fencing token " + token
        + ") lost its permit and " + overtaken + "; answered 409");
    return conflict("This write's turn on the resource was lost (the lock's lease expired) and another write "
        + "went ahead; this write may not have been applied. Read the resource again and retry.");
  }

  /**
   * What proves, in place of this write's marker, that another writer went ahead, or {@code null}
   * when nothing does.
   */
  private @Nullable String overtakenBy(@Nullable Validators now) {
    if (now == null) {
      return null; // gone or unreadable
    }
    if (isMarker(now)) {
      long other = markerToken(now);
      return other > token ? "a writer with fencing token " + other + " began" : null;
    }
    return now.equals(replaced) ? null : "another writer committed";
  }

  /** The fencing token in a marker, or {@link Long#MIN_VALUE} when it has none. */
  private static long markerToken(Validators marker) {
    String opaque = java.util.Objects.requireNonNull(marker.etag()).opaque();
    int end = opaque.indexOf('-', MARKER_PREFIX.length() + 1);
    try {
      return Long.parseLong(opaque.substring(MARKER_PREFIX.length(), end < 0 ? opaque.length() : end));
    } catch (NumberFormatException e) {
      return Long.MIN_VALUE;
    }
  }

  private Answer conflict(String detail) {
    engine.listener.onDecision(key, method, Decision.CONFLICT);
    return new Answer(409, Map.of(), Problem.of("write-conflict", "Conflict", 409, detail, key.value()));
  }

  private Answer unavailable(String cause, boolean handlerRan) {
    LOG.log(Level.WARNING, () -> "ETag Guard: the " + method + " of " + key + " (fencing token " + token
        + ") could not be " + (handlerRan ? "confirmed" : "begun") + " in the validator store: " + cause
        + "; answered 503");
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
