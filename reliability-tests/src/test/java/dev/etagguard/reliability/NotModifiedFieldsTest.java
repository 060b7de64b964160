package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.etagguard.settings.GuardSettings;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A 304 carries no body, and RFC 9110 8.6 forbids a Content-Length in it unless the value is the
 * length the 200 would have had: a cache that refreshes its stored header fields from the 304
 * must not learn a wrong length. Checked on every adapter, for the 304 decided after running the
 * handler and for the one answered from the store ({@code authoritativePaths}).
 */
class NotModifiedFieldsTest {

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aNotModifiedAnswerDeclaresNoOtherLength(GuardedServer.Adapter adapter) throws Exception {
    GuardSettings settings = GuardSettings.builder().authoritativePaths("/a/*").build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, new FaultServlet())) {
      byte[] body = "x".repeat(1500).getBytes(StandardCharsets.US_ASCII);
      for (String path : List.of("/n/r", "/a/r")) {
        assertThat(RawHttp.exchange(server.port(), "PUT", path, List.of(new RawHttp.Field("If-None-Match", "*")), body)
            .status()).isEqualTo(201);
        RawHttp.Response full = RawHttp.exchange(server.port(), "GET", path, List.of(), null);
        assertThat(full.status()).isEqualTo(200);
        assertThat(full.header("Content-Length")).isEqualTo("1500");
        String tag = full.header("ETag");
        RawHttp.Response notModified = RawHttp.exchange(server.port(), "GET", path,
            List.of(new RawHttp.Field("If-None-Match", tag)), null);
        assertThat(notModified.status()).as(path).isEqualTo(304);
        assertThat(notModified.header("ETag")).isEqualTo(tag);
        assertThat(notModified.body()).isEmpty();
        String length = notModified.header("Content-Length");
        assertThat(length).as("Content-Length of the 304 of %s", path).isIn(null, "1500");
      }
    }
  }

  /**
   * RFC 9110 15.4.5: a 304 carries no representation metadata beyond the fields it lists (its
   * validators, Cache-Control, Expires, Vary, Content-Location, Date). Tomcat's connector drops a
   * handler's Content-Type from a 304; Jetty sends it unless the guard removes it.
   */
  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void aNotModifiedAnswerCarriesNoContentType(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter, GuardSettings.DEFAULTS, new FaultServlet())) {
      byte[] body = "typed".getBytes(StandardCharsets.US_ASCII);
      assertThat(RawHttp.exchange(server.port(), "PUT", "/t/r", List.of(), body).status()).isEqualTo(201);
      RawHttp.Response full = RawHttp.exchange(server.port(), "GET", "/t/r", List.of(), null);
      assertThat(full.header("Content-Type")).isEqualTo("application/octet-stream");
      for (String method : List.of("GET", "HEAD")) {
        RawHttp.Response notModified = RawHttp.exchange(server.port(), method, "/t/r",
            List.of(new RawHttp.Field("If-None-Match", full.header("ETag"))), null);
        assertThat(notModified.status()).isEqualTo(304);
        assertThat(notModified.header("ETag")).isEqualTo(full.header("ETag"));
        assertThat(notModified.header("Content-Type")).as("%s 304", method).isNull();
      }
    }
  }
}
