package dev.etagguard.tomcat;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.AdapterConformanceSuite;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.ServerUnderTest;

/** The shared conformance rows (fixtures RS and RN) over HTTP, the valve in front of a plain servlet on Tomcat. */
class ValveConformanceTest extends AdapterConformanceSuite {

  @Override
  protected ServerUnderTest start(GuardSettings settings) throws Exception {
    return ValveServer.start(new ETagGuardValve(settings), new ResourceServlet());
  }
}
