package dev.etagguard.samples.springwiki;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;

import io.micrometer.core.instrument.MeterRegistry;
import dev.etagguard.testing.LostUpdateDrill;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The README's story against the Spring Boot wiki over real sockets: the controller knows nothing
 * of ETags, the starter and application.yml add them. Subclasses pick the server.
 */
abstract class WikiScenarios {

  @LocalServerPort
  int port;

  @Autowired
  MeterRegistry registry;

  @Autowired
  WebServerApplicationContext context;

  /** The simple name's start of the web server class, {@code Tomcat} or {@code Jetty}. */
  abstract String server();

  @Test
  void runsOnTheExpectedServer() {
    assertThat(context.getWebServer().getClass().getSimpleName()).startsWith(server());
  }

  @Test
  void marysStaleSaveIsRefusedWithAProblemBody() throws Exception {
    URI article = uri("/articles/12");
    assertThat(put(article, "{\"title\":\"Hello\"}", "If-None-Match", "*").statusCode()).isEqualTo(201);

    HttpResponse<byte[]> bobReads = get(article);
    HttpResponse<byte[]> maryReads = get(article);
    String etag = header(bobReads, "ETag");
    assertThat(etag).isNotNull().doesNotStartWith("W/").isEqualTo(header(maryReads, "ETag"));
    assertThat(header(bobReads, "Last-Modified")).isNotNull();

    assertThat(put(article, "{\"title\":\"Bob's\"}", "If-Match", etag).statusCode()).isEqualTo(204);
    HttpResponse<byte[]> marySaves = put(article, "{\"title\":\"Mary's\"}", "If-Match", etag);
    assertThat(marySaves.statusCode()).isEqualTo(412);
    assertThat(header(marySaves, "Content-Type")).startsWith("application/problem+json");
    JsonNode problem = JsonMapper.builder().build().readTree(marySaves.body());
    assertThat(problem.path("status").asInt()).isEqualTo(412);
    assertThat(problem.path("type").asString()).isEqualTo("https://etagguard.dev/problems/precondition-failed");
    assertThat(problem.path("key").asString()).isEqualTo("/articles/12");
    assertThat(header(marySaves, "ETag")).isNotEqualTo(etag);
    assertThat(text(get(article))).isEqualTo("{\"title\":\"Bob's\"}");

    // Mary re-reads and reapplies her change on Bob's version.
    HttpResponse<byte[]> again = get(article);
    assertThat(put(article, "{\"title\":\"Bob's and Mary's\"}", "If-Match", header(again, "ETag")).statusCode())
        .isEqualTo(204);
    HttpResponse<byte[]> current = get(article);
    HttpResponse<byte[]> unchanged = get(article, "If-None-Match", header(current, "ETag"));
    assertThat(unchanged.statusCode()).isEqualTo(304);
    assertThat(unchanged.body()).isEmpty();
    assertThat(header(unchanged, "ETag")).isEqualTo(header(current, "ETag"));
    assertThat(put(article, "{\"title\":\"Eve\"}").statusCode()).isEqualTo(428);
    assertThat(put(uri("/drafts/12"), "{\"title\":\"Eve\"}").statusCode()).as("drafts are unguarded").isEqualTo(201);
  }

  /**
   * 32 clients increment one counter with read-modify-write cycles, If-Match and retry on 412.
   * Every successful write must be reflected in the final value, and no If-Match value may win
   * twice.
   */
  @Test
  void thirtyTwoClientsLoseNoUpdate() throws Exception {
    LostUpdateDrill.run(uri("/articles/counter"), 32, 10);
  }

  @Test
  void metricsCountTheOutcomes() throws Exception {
    double required = count("precondition_required");
    double failed = count("precondition_failed");
    double notModified = count("not_modified");
    URI article = uri("/articles/metrics");
    assertThat(put(article, "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String etag = header(get(article), "ETag");
    assertThat(get(article, "If-None-Match", etag).statusCode()).isEqualTo(304);
    assertThat(put(article, "v2").statusCode()).isEqualTo(428);
    assertThat(put(article, "v2", "If-Match", "\"stale\"").statusCode()).isEqualTo(412);

    assertThat(count("precondition_required")).isEqualTo(required + 1);
    assertThat(count("precondition_failed")).isEqualTo(failed + 1);
    assertThat(count("not_modified")).isEqualTo(notModified + 1);
    assertThat(registry.get("etag.guard.permit.wait").timer().count()).isPositive();
    assertThat(registry.get("etag.guard.store.size").gauge().value()).isPositive();

    // The same numbers on the actuator, which the guard leaves alone (excluded-paths).
    HttpResponse<byte[]> metric = get(uri("/actuator/metrics/etag.guard.requests?tag=outcome:precondition_failed"));
    assertThat(metric.statusCode()).isEqualTo(200);
    assertThat(header(metric, "ETag")).isNull();
    JsonNode json = JsonMapper.builder().build().readTree(metric.body());
    assertThat(json.path("name").asString()).isEqualTo("etag.guard.requests");
    assertThat(json.path("measurements").get(0).path("value").asDouble()).isEqualTo(count("precondition_failed"));
    HttpResponse<byte[]> ratio = get(uri("/actuator/metrics/etag.guard.store.hit.ratio"));
    assertThat(ratio.statusCode()).isEqualTo(200);
  }

  private double count(String outcome) {
    return registry.get("etag.guard.requests").tag("outcome", outcome).counter().count();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }
}
