package dev.etagguard.spi;

import java.time.Instant;
import java.util.Objects;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;

import org.jspecify.annotations.Nullable;

/**
 * Remembers the current validators of resources, so a conditional write can be checked without
 * asking the handler, and a generated ETag keeps its Last-Modified.
 *
 * <p>The engine calls {@link #put} for reads only when no write to the key completed while the
 * read ran, and holds the key's write permit for every other change, so a store needs no
 * ordering of its own. Implementations must be thread-safe; they may forget entries at any time
 * (the engine then asks the handler again).
 *
 * <p><b>Stores shared by several instances.</b> When the permits are fenced (a distributed
 * sequencer's, see {@link WriteSequencer.Permit#fencingToken()}), the engine changes a key's
 * validators on the write path only through {@link #compareAndSet}: it replaces what it found with
 * a marker of its own before the handler runs, and the marker with the new validators after it,
 * so the store arbitrates between two writers whose permits overlapped (a lease lost to a pause).
 * {@link #put} then only records what a read observed, which a read on one instance cannot order
 * against a write on another: even put-if-absent is unsafe, since a read that began before the
 * last write may put that write's predecessor back once the entry is gone (expired, or the store
 * restarted empty), and an old ETag would pass. So a shared store ignores {@code put}; its entries
 * come from writes, under their permits.
 * A shared store's {@link #get}, {@link #put} and {@link #invalidate} may fail quietly (a missing
 * entry is always safe); {@link #compareAndSet} must throw when the store cannot be reached, and
 * the write is then answered 503.
 *
 * @since 0.1
 */
public interface ValidatorStore {

  /** The remembered validators of a key, or {@code null} when unknown. */
  @Nullable Validators get(ResourceKey key);

  /** Remembers the validators of a key. */
  void put(ResourceKey key, Validators validators);

  /** Forgets a key. */
  void invalidate(ResourceKey key);

  /**
   * Atomically replaces the validators of a key with {@code next} if, and only if, the store
   * holds exactly {@code expected} for it. {@code null} stands for no entry on either side:
   * {@code expected == null} requires that the key is unknown, {@code next == null} forgets it.
   *
   * <p>The default is atomic within one JVM (it synchronizes on the store), which is enough for
   * an in-process store whose other changes come from the same engine. A store shared between
   * instances must make it one atomic operation of the shared engine (a script, a conditional
   * UPDATE) comparing {@link #encode encoded} forms.
   *
   * @return whether the store held {@code expected} and now holds {@code next}
   * @throws RuntimeException when the store cannot be reached, so the outcome is unknown
   * @since 0.1
   */
  default boolean compareAndSet(ResourceKey key, @Nullable Validators expected, @Nullable Validators next) {
    synchronized (this) {
      if (!Objects.equals(get(key), expected)) {
        return false;
      }
      if (next == null) {
        invalidate(key);
      } else {
        put(key, next);
      }
      return true;
    }
  }

  /**
   * The text form of validators for stores that keep them outside the JVM: canonical (equal
   * validators give equal strings, so a shared store compares strings) and parsed back by
   * {@link #decode}. {@code 1 <seconds>.<nanos> "tag"}, with {@code -} for a missing
   * Last-Modified or ETag, {@code 2} instead of {@code 1} when the Last-Modified date is
   * {@linkplain Validators#weakLastModified() weak}, and {@code 0 - -} for an absent resource.
   *
   * @since 0.1
   */
  static String encode(Validators validators) {
    Instant lm = validators.lastModified();
    EntityTag etag = validators.etag();
    return (!validators.exists() ? "0 " : validators.weakLastModified() ? "2 " : "1 ")
        + (lm == null ? "-" : lm.getEpochSecond() + "." + String.format(java.util.Locale.ROOT, "%09d", lm.getNano()))
        + " " + (etag == null ? "-" : etag.toString());
  }

  /**
   * Parses the {@link #encode text form} of validators.
   *
   * @throws IllegalArgumentException if the text is not such a form
   * @since 0.1
   */
  static Validators decode(String text) {
    String[] parts = text.split(" ", 3);
    if (parts.length != 3 || !(parts[0].equals("1") || parts[0].equals("0") || parts[0].equals("2"))
        || (parts[0].equals("2") && parts[1].equals("-"))) {
      throw new IllegalArgumentException("Not encoded validators: " + text);
    }
    Instant lm = null;
    if (!parts[1].equals("-")) {
      int dot = parts[1].indexOf('.');
      if (dot < 0) {
        throw new IllegalArgumentException("Not encoded validators: " + text);
      }
      lm = Instant.ofEpochSecond(Long.parseLong(parts[1].substring(0, dot)), Long.parseLong(parts[1].substring(dot + 1)));
    }
    EntityTag etag = parts[2].equals("-") ? null : EntityTag.parse(parts[2]);
    return new Validators(!parts[0].equals("0"), etag, lm, parts[0].equals("2"));
  }

  /** An estimate of the number of entries, for metrics; {@code -1} when not known. */
  default long estimatedSize() {
    return -1;
  }

  /**
   * The store this one decorates (a store counting lookups for metrics, say), or itself. A
   * permit's {@linkplain WriteSequencer.Permit#storeEntry() store entry} is of the shared store
   * itself: the engine takes it when its store is that store or decorates it. A decorator that
   * passes every call on returns its delegate.
   *
   * @since 0.3
   */
  default ValidatorStore decorated() {
    return this;
  }
}
