package dev.etagguard.spi;

import java.util.Objects;

import dev.etagguard.settings.GuardSettings;

/**
 * A store that several instances of an application share, for the option {@code sharedStore}: it
 * opens a {@link ValidatorStore} and a {@link WriteSequencer} from the settings, on an engine the
 * instances already run (Redis, PostgreSQL). The cluster modules implement it and register it
 * for {@link java.util.ServiceLoader} ({@code META-INF/services/dev.etagguard.spi.SharedStore}), so
 * the engine finds the store that {@code sharedStore} names on the class path and filter-core
 * depends on none of them: {@code GuardEngine.builder(settings).build()} opens it when the
 * settings name one and no store or sequencer was given, and the engine closes it.
 *
 * <p>{@link #open} reads the options of its store ({@code redis*}, {@code postgres*},
 * {@code leaseTime}, {@code renewLease}) and checks them, rejecting a malformed one with an
 * {@link IllegalArgumentException} that names it ({@link dev.etagguard.settings.Option#passTo}),
 * or a missing resource (a JNDI name with nothing behind it) with one that names the resource.
 * A server that cannot be reached is no reason to refuse: the instance starts, and its writes are
 * answered 503 until the server is back.
 *
 * <p>Implementations are stateless and thread-safe; what {@link #open} returns is the engine's.
 *
 * @since 0.1
 */
public interface SharedStore {

  /** The value of the option {@code sharedStore} that selects this store, e.g. {@code redis}. */
  String name();

  /**
   * Opens this store for one engine: its clients, pools and threads, owned by the returned
   * {@link Opened} and ended by its {@link Opened#close()}.
   *
   * @param settings the engine's settings, with the options of this store
   * @throws IllegalArgumentException naming the option or the resource, when the configuration
   *     cannot work
   */
  Opened open(GuardSettings settings);

  /**
   * An opened store: the validator store and sequencer of one engine, and what to close when the
   * engine closes. Thread-safe.
   *
   * @since 0.1
   */
  interface Opened extends AutoCloseable {

    /** The shared validator store. */
    ValidatorStore store();

    /** The shared write sequencer. */
    WriteSequencer sequencer();

    /** Ends what {@link SharedStore#open} started (the sequencer's threads, the clients it made). Idempotent. */
    @Override
    void close();

    /**
     * An opened store of {@code store} and {@code sequencer}, whose {@link #close()} runs
     * {@code resources}.
     */
    static Opened of(ValidatorStore store, WriteSequencer sequencer, AutoCloseable resources) {
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(sequencer, "sequencer");
      Objects.requireNonNull(resources, "resources");
      return new Opened() {
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        @Override
        public ValidatorStore store() {
          return store;
        }

        @Override
        public WriteSequencer sequencer() {
          return sequencer;
        }

        @Override
        public void close() {
          if (closed.compareAndSet(false, true)) {
            try {
              resources.close();
            } catch (Exception e) {
              throw new IllegalStateException("Could not close the shared store: " + e.getMessage(), e);
            }
          }
        }

        @Override
        public String toString() {
          return store + ", " + sequencer;
        }
      };
    }
  }
}
