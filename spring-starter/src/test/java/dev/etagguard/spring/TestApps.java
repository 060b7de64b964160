package dev.etagguard.spring;

import java.nio.charset.StandardCharsets;

import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.support.Builtins;

/** Shared settings of the tests that run a real server. */
final class TestApps {

  /** Spring Security is on the test class path for one test; the others leave it out. */
  static final String NO_SECURITY = "spring.autoconfigure.exclude="
      + "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration,"
      + "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration,"
      + "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration,"
      + "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration";

  private TestApps() {
  }

  /** The ETag ETag Guard generates for a body. */
  static String generatedTag(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    EntityTagGenerator.Digest digest = Builtins.sha256Generator().start();
    digest.update(bytes, 0, bytes.length);
    return digest.finish().toString();
  }
}
