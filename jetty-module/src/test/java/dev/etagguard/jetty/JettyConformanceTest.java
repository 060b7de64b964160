package dev.etagguard.jetty;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.AdapterConformanceSuite;
import dev.etagguard.testing.ServerUnderTest;

/** The shared conformance rows (RS, RN) over HTTP: the handler in front of a core handler. */
class JettyConformanceTest extends AdapterConformanceSuite {

  @Override
  protected ServerUnderTest start(GuardSettings settings) throws Exception {
    ETagGuardHandler guard = new ETagGuardHandler(settings);
    guard.setHandler(new CoreStore());
    return new JettyServer(guard);
  }
}
