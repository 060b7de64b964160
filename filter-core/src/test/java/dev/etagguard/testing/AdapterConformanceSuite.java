package dev.etagguard.testing;

import java.net.URI;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.conformance.HttpConformanceSuite;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shared conformance rows ({@link HttpConformanceSuite}, fixtures RS and RN) over HTTP against
 * one adapter, as every adapter's conformance test runs them: the guard with {@link #SETTINGS}
 * ({@code guardedPaths=/guarded/*}: the policy rows) in front of a plain store that serves
 * {@code /guarded/} and the unguarded {@code /open/} (a {@link ResourceServlet}, or a core handler
 * alike), one server for the whole class. Subclasses start the adapter.
 */
public abstract class AdapterConformanceSuite extends HttpConformanceSuite {

  /** The guard's settings. */
  protected static final GuardSettings SETTINGS = GuardSettings.builder().guardedPaths("/guarded/*").build();

  private ServerUnderTest server;

  /** Starts the adapter with {@code settings} in front of the store. */
  protected abstract ServerUnderTest start(GuardSettings settings) throws Exception;

  @BeforeAll
  void startAdapter() throws Exception {
    server = start(SETTINGS);
  }

  @AfterAll
  void stopAdapter() {
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
