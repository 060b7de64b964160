package dev.etagguard.samples.wiki;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;

import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.samples.launcher.WebappServer;
import dev.etagguard.samples.wiki.launcher.WikiServer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's story over real sockets, on every adapter: no update is ever lost. */
class BobAndMaryTest {

  @ParameterizedTest
  @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY, WebappServer.TOMCAT_VALVE, WebappServer.JETTY_HANDLER})
  void marysStaleSaveIsRefusedWithAProblemBody(String adapter) throws Exception {
    try (WebappServer server = WikiServer.start(adapter, 0)) {
      URI article = URI.create("http://127.0.0.1:" + server.port() + "/articles/12");
      assertThat(put(article, "{\"title\":\"Hello\"}", "If-None-Match", "*").statusCode()).isEqualTo(201);

      HttpResponse<byte[]> bobReads = get(article);
      HttpResponse<byte[]> maryReads = get(article);
      String etag = header(bobReads, "ETag");
      assertThat(etag).isNotNull().isEqualTo(header(maryReads, "ETag"));

      HttpResponse<byte[]> bobSaves = put(article, "{\"title\":\"Bob's\"}", "If-Match", etag);
      assertThat(bobSaves.statusCode()).isEqualTo(204);
      HttpResponse<byte[]> marySaves = put(article, "{\"title\":\"Mary's\"}", "If-Match", etag);
      assertThat(marySaves.statusCode()).isEqualTo(412);
      assertThat(header(marySaves, "Content-Type")).startsWith("application/problem+json");
      assertThat(text(marySaves)).contains("\"status\":412").contains("/articles/12");
      assertThat(header(marySaves, "ETag")).isNotEqualTo(etag);
      assertThat(text(get(article))).isEqualTo("{\"title\":\"Bob's\"}");

      // Mary re-reads and reapplies her change on Bob's version.
      HttpResponse<byte[]> again = get(article);
      assertThat(put(article, "{\"title\":\"Bob's and Mary's\"}", "If-Match", header(again, "ETag")).statusCode())
          .isEqualTo(204);
      HttpResponse<byte[]> conditional = get(article, "If-None-Match", header(again, "ETag"));
      assertThat(conditional.statusCode()).isEqualTo(200);
      HttpResponse<byte[]> unchanged = get(article, "If-None-Match", header(conditional, "ETag"));
      assertThat(unchanged.statusCode()).isEqualTo(304);
      assertThat(unchanged.body()).isEmpty();
      assertThat(put(article, "{\"title\":\"Eve\"}").statusCode()).isEqualTo(428);
    }
  }

  /**
   * 32 clients increment one counter with read-modify-write cycles, If-Match and retry on 412.
   * Every successful write must be reflected in the final value, and no If-Match value may win
   * twice.
   */
  @ParameterizedTest
  @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY, WebappServer.TOMCAT_VALVE, WebappServer.JETTY_HANDLER})
  void thirtyTwoClientsLoseNoUpdate(String adapter) throws Exception {
    try (WebappServer server = WikiServer.start(adapter, 0)) {
      LostUpdateDrill.run(URI.create("http://127.0.0.1:" + server.port() + "/articles/counter"), 32, 10);
    }
  }
}
