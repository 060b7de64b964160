package dev.etagguard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.AdapterConformanceSuite;
import dev.etagguard.testing.EmbeddedServer;
import dev.etagguard.testing.ServerUnderTest;

/**
 * The shared conformance rows (RS, RN) over HTTP, one JUnit test each: the proxy in front of the
 * Python sample upstream, with the suite's settings as the proxy's options.
 */
class ProxyConformanceTest extends AdapterConformanceSuite {

  @Override
  protected ServerUnderTest start(GuardSettings settings) throws Exception {
    // The suite's settings are guardedPaths=/guarded/*: the proxy takes them as its option.
    assertThat(settings.guardedPaths()).map(Object::toString).containsExactly("/guarded/*");
    PythonUpstream upstream = PythonUpstream.start();
    ETagGuardProxy proxy;
    try {
      proxy = ETagGuardProxy.builder().upstream(upstream.base().toString()).port(0)
          .guardOption("guardedPaths", "/guarded/*").build().start();
    } catch (Exception e) {
      upstream.close();
      throw e;
    }
    return EmbeddedServer.of("Proxy", URI.create("http://127.0.0.1:" + proxy.port()), () -> {
      proxy.close();
      upstream.close();
    });
  }
}
