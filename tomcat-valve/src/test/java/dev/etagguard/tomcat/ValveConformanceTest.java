package dev.etagguard.tomcat;

import java.net.URI;

import dev.etagguard.GuardSettings;
import dev.etagguard.conformance.HttpConformanceSuite;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared conformance rows (fixtures RS and RN) over HTTP, the valve in front of a plain servlet on Tomcat. */
class ValveConformanceTest extends HttpConformanceSuite {

  private ValveServer server;

  @BeforeAll
  void start() throws Exception {
    server = ValveServer.start(new ETagGuardValve(GuardSettings.builder().guardedPaths("/guarded/*").build()),
        new ResourceServlet());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Override
  protected URI base() {
    return server.base();
  }

  @Override
  protected String guardedPrefix() {
    return "/guarded/";
  }

  @Override
  protected String unguardedPrefix() {
    return "/open/";
  }
}
