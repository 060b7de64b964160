package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The harness itself: each adapter really guards the servlet. */
class GuardedServerTest {

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void everyAdapterGuards(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter,
        GuardSettings.builder().guardedPaths("/guarded/*").build(), new ResourceServlet())) {
      assertThat(put(server.uri("/guarded/a"), "one").statusCode()).as("428 without a precondition").isEqualTo(428);
      assertThat(put(server.uri("/guarded/a"), "one", "If-None-Match", "*").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> read = get(server.uri("/guarded/a"));
      String tag = header(read, "ETag");
      assertThat(tag).startsWith("\"");
      assertThat(get(server.uri("/guarded/a"), "If-None-Match", tag).statusCode()).isEqualTo(304);
      assertThat(put(server.uri("/guarded/a"), "two", "If-Match", "\"nope\"").statusCode()).isEqualTo(412);
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(10))).isZero();
    }
  }
}
