package dev.etagguard.jetty;

import java.net.URI;

import dev.etagguard.GuardSettings;
import dev.etagguard.conformance.HttpConformanceSuite;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared conformance rows (RS, RN) over HTTP: the handler in front of a core handler. */
class JettyConformanceTest extends HttpConformanceSuite {

  private JettyServer server;

  @BeforeAll
  void start() throws Exception {
    ETagGuardHandler guard = new ETagGuardHandler(GuardSettings.builder().guardedPaths("/guarded/*").build());
    guard.setHandler(new CoreStore());
    server = new JettyServer(guard);
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
