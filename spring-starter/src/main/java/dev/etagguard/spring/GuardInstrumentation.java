package dev.etagguard.spring;

import dev.etagguard.GuardEngine;
import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ValidatorStore;

/**
 * What the auto-configured engine lets a metrics binding observe: its decisions, its store's
 * lookups, and the engine once built. Free of Micrometer types, so the auto-configuration loads
 * without Micrometer.
 */
interface GuardInstrumentation {

  /** The listener that records decisions and permit waits. */
  GuardListener listener();

  /** The store the engine should use: {@code store}, observed. */
  ValidatorStore instrument(ValidatorStore store);

  /** Called once with the built engine. */
  void bind(GuardEngine engine);
}
