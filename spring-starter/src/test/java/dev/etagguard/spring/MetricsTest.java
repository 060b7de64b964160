package dev.etagguard.spring;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.etagguard.GuardEngine;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.testing.Permits;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The meters that show ETag Guard's value, in a real Spring Boot application over HTTP: bytes a
 * 304 did not send, lost updates prevented (412 on a write), the queue depth and the permit wait.
 */
@SpringBootTest(classes = MetricsTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.address=127.0.0.1", "etag-guard.guarded-paths=/docs/*", TestApps.NO_SECURITY})
class MetricsTest {

  @LocalServerPort
  int port;

  @Autowired
  MeterRegistry registry;

  @Autowired
  GuardEngine engine;

  @Test
  void notModifiedBytesAndLostUpdatesPrevented() throws Exception {
    double bytesBefore = count(ETagGuardMetrics.NOT_MODIFIED_BYTES);
    double preventedBefore = count(ETagGuardMetrics.LOST_UPDATES_PREVENTED);
    URI doc = uri("/docs/metrics");
    String body = "x".repeat(1000);
    assertThat(put(doc, body, "If-None-Match", "*").statusCode()).isEqualTo(201);
    String tag = header(get(doc), "ETag");
    for (int i = 0; i < 3; i++) {
      assertThat(get(doc, "If-None-Match", tag).statusCode()).isEqualTo(304);
    }
    assertThat(count(ETagGuardMetrics.NOT_MODIFIED_BYTES) - bytesBefore).as("three 304s of 1000 bytes").isEqualTo(3000);
    assertThat(registry.get(ETagGuardMetrics.NOT_MODIFIED_BYTES).counter().getId().getBaseUnit()).isEqualTo("bytes");

    assertThat(put(doc, "mine", "If-Match", tag).statusCode()).isEqualTo(204);
    HttpResponse<byte[]> stale = put(doc, "theirs", "If-Match", tag);
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(get(uri("/docs/metrics"), "If-Match", tag).statusCode()).as("a stale read is no lost update").isEqualTo(412);
    assertThat(count(ETagGuardMetrics.LOST_UPDATES_PREVENTED) - preventedBefore).isEqualTo(1);
    assertThat(count(ETagGuardMetrics.RETRIES_RECOGNIZED)).isZero();
  }

  @Test
  void queueDepthAndPermitWait() throws Exception {
    URI doc = uri("/docs/queue");
    assertThat(put(doc, "one", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String tag = header(get(doc), "ETag");
    long waitsBefore = registry.get(ETagGuardMetrics.PERMIT_WAIT).timer().count();
    WriteSequencer sequencer = engine.sequencer();
    assertThat(gauge(ETagGuardMetrics.PERMITS_WAITING)).isZero();
    // Hold the resource's permit as a write in progress would; two writes queue behind it.
    WriteSequencer.Permit held = sequencer.acquire(new ResourceKey("/docs/queue"), Duration.ofMinutes(1)).join();
    CompletableFuture<Integer> first;
    CompletableFuture<Integer> second;
    try {
      first = CompletableFuture.supplyAsync(() -> status(doc, "two", tag));
      second = CompletableFuture.supplyAsync(() -> status(doc, "three", tag));
      assertThat(Permits.awaitWaiting(sequencer, 2, Duration.ofSeconds(30))).isEqualTo(2);
      assertThat(gauge(ETagGuardMetrics.PERMITS_WAITING)).isEqualTo(2);
    } finally {
      held.release();
    }
    assertThat(first.get(30, TimeUnit.SECONDS) + second.get(30, TimeUnit.SECONDS)).as("one 204 and one 412")
        .isEqualTo(204 + 412);
    assertThat(gauge(ETagGuardMetrics.PERMITS_WAITING)).isZero();
    assertThat(registry.get(ETagGuardMetrics.PERMIT_WAIT).timer().count() - waitsBefore).isEqualTo(2);
  }

  private int status(URI uri, String body, String tag) {
    try {
      return put(uri, body, "If-Match", tag).statusCode();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private double count(String name) {
    return registry.get(name).counter().count();
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(Documents.class)
  static class App {
    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }
}
