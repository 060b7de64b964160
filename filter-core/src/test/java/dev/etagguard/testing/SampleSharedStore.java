package dev.etagguard.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.SharedStore;
import dev.etagguard.support.Builtins;

/**
 * A shared store for tests, {@code sharedStore=sample}, registered by the test-jar
 * ({@code META-INF/services}): the built-in in-process store and sequencer, opened through the same
 * {@link java.util.ServiceLoader} lookup as the cluster modules. It records the settings each
 * engine opened it with and whether that engine closed it, so every route can show that its
 * options reached the store and that stopping the host ends it.
 */
public final class SampleSharedStore implements SharedStore {

  /** Its {@code sharedStore} value. */
  public static final String NAME = "sample";

  /** One opening: the settings it was given, and whether it has been closed. */
  public static final class Opening {
    private final GuardSettings settings;
    private volatile boolean closed;

    Opening(GuardSettings settings) {
      this.settings = settings;
    }

    /** The settings the engine opened the store with. */
    public GuardSettings settings() {
      return settings;
    }

    /** Whether the engine closed it. */
    public boolean closed() {
      return closed;
    }
  }

  private static final List<Opening> OPENINGS = new CopyOnWriteArrayList<>();

  /** The store, as ServiceLoader makes it. */
  public SampleSharedStore() {
  }

  /** Every opening so far, oldest first. */
  public static List<Opening> openings() {
    return List.copyOf(OPENINGS);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Opened open(GuardSettings settings) {
    Opening opening = new Opening(settings);
    OPENINGS.add(opening);
    var sequencer = Builtins.localSequencer(settings.maxWaitersPerKey());
    return Opened.of(Builtins.caffeineStore(settings.validatorStoreSize()), sequencer, () -> {
      sequencer.close();
      opening.closed = true;
    });
  }
}
