package dev.etagguard.proxy;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import dev.etagguard.testing.Wire;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reverse proxy must do, through the guarding proxy in front of a {@link ScriptedUpstream}
 * over real sockets: forwarding and hop-by-hop fields both ways, Host, hostile headers, upstream
 * failures (unreachable, 5xx, silent, cut short), clients that go away, graceful stop, metrics
 * and the access log.
 */
class ProxyBehaviourTest {

  private ScriptedUpstream upstream;
  private ETagGuardProxy proxy;

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = new ScriptedUpstream();
  }

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    upstream.close();
  }

  private URI proxy(Consumer<ETagGuardProxy.Builder> options) throws Exception {
    ETagGuardProxy.Builder b = ETagGuardProxy.builder().upstream(upstream.base().toString()).port(0)
        .guardOption("guardedPaths", "/store/*");
    options.accept(b);
    proxy = b.build().start();
    return proxy.uri();
  }

  private URI proxy() throws Exception {
    return proxy(b -> { });
  }

  @Test
  void addsForwardingFieldsAndDropsTheOnesAClientSent() throws Exception {
    URI base = proxy();
    Wire.Response r = Wire.exchange("GET", base.resolve("/echo"), "X-Forwarded-For", "203.0.113.66",
        "Forwarded", "for=203.0.113.66;proto=https", "X-Forwarded-Host", "evil.example", "X-Real-IP", "203.0.113.66",
        "X-Forwarded-Prefix", "/evil", "X-Forwarded-By", "203.0.113.66", "True-Client-IP", "203.0.113.66");
    assertThat(r.status()).isEqualTo(200);
    ScriptedUpstream.Received seen = upstream.received("/echo").get(0);
    assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(seen.header("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + base.getPort());
    assertThat(seen.header("X-Forwarded-Port")).isEqualTo(Integer.toString(base.getPort()));
    assertThat(seen.headers("Forwarded")).singleElement().asString()
        .contains("for=\"127.0.0.1\"", "proto=http").doesNotContain("203.0.113.66");
    assertThat(seen.header("X-Real-IP")).isNull();
    assertThat(seen.header("X-Forwarded-Prefix")).isNull();
    assertThat(seen.header("X-Forwarded-By")).isNull();
    assertThat(seen.header("True-Client-IP")).isNull();
    assertThat(seen.header("Via")).startsWith("1.1 ");
  }

  @Test
  void appendsToTheForwardingFieldsOfATrustedProxyInFront() throws Exception {
    URI base = proxy(b -> b.trustForwarded(true));
    Wire.exchange("GET", base.resolve("/echo"), "X-Forwarded-For", "203.0.113.66", "Forwarded", "for=203.0.113.66",
        "Via", "1.1 front");
    ScriptedUpstream.Received seen = upstream.received("/echo").get(0);
    assertThat(seen.header("X-Forwarded-For")).isEqualTo("203.0.113.66, 127.0.0.1");
    assertThat(seen.header("Forwarded")).startsWith("for=203.0.113.66, ").contains("for=\"127.0.0.1\"");
    assertThat(seen.header("Via")).startsWith("1.1 front, 1.1 ");
  }

  @Test
  void removesHopByHopFieldsOfTheRequest() throws Exception {
    URI base = proxy();
    Wire.Response r = Wire.exchange("GET", base.resolve("/echo"), "Connection", "X-Secret", "X-Secret", "hop only",
        "Keep-Alive", "timeout=300", "Proxy-Authorization", "Basic cHJveHk6c2VjcmV0", "TE", "trailers",
        "X-Normal", "end to end");
    assertThat(upstream.received("/echo")).as("%s %s", r, new String(r.rest(), StandardCharsets.UTF_8)).hasSize(1);
    ScriptedUpstream.Received seen = upstream.received("/echo").get(0);
    assertThat(seen.header("X-Normal")).isEqualTo("end to end");
    for (String hop : new String[] {"X-Secret", "Keep-Alive", "Proxy-Authorization", "TE"}) {
      assertThat(seen.header(hop)).as(hop).isNull();
    }
  }

  @Test
  void removesHopByHopFieldsOfTheResponse() throws Exception {
    Wire.Response r = Wire.exchange("GET", proxy().resolve("/hop"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("X-Kept")).isEqualTo("yes");
    assertThat(r.header("X-Hop")).as("listed in the upstream's Connection").isNull();
    assertThat(r.header("Keep-Alive")).isNull();
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("hop");
  }

  @Test
  void passesTheClientsHostOnByDefaultOrSendsTheUpstreams() throws Exception {
    URI base = proxy();
    Wire.exchange("GET", base.resolve("/echo"));
    assertThat(upstream.received("/echo").get(0).header("Host")).isEqualTo("127.0.0.1:" + base.getPort());
    proxy.close();

    URI rewritten = proxy(b -> b.preserveHost(false));
    Wire.exchange("GET", rewritten.resolve("/echo2"));
    assertThat(upstream.received("/echo2").get(0).header("Host")).isEqualTo("127.0.0.1:" + upstream.port());
  }

  @Test
  void hostileHeadersAreRefusedBeforeTheUpstream() throws Exception {
    URI base = proxy();
    Wire.Response huge = Wire.exchange("GET", base.resolve("/echo-huge"), "X-Huge", "h".repeat(64 * 1024));
    assertThat(huge.status()).isEqualTo(431);
    assertThat(upstream.received("/echo-huge")).isEmpty();
    // A malformed precondition on a guarded write never reaches the upstream either.
    Wire.Response malformed = Wire.exchange("PUT", base.resolve("/store/m"), "If-Match", "not-a-tag",
        "Content-Length", "0");
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(upstream.received("/store/m")).isEmpty();
  }

  @Test
  void anUpstreamDownAtStartGets502ThenServesWhenItComesUp() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    upstream.close();
    proxy = ETagGuardProxy.builder().upstream("http://127.0.0.1:" + port).port(0).build().start();
    HttpResponse<byte[]> down = get(proxy.uri().resolve("/echo"));
    assertThat(down.statusCode()).isEqualTo(502);
    assertThat(header(down, "Content-Type")).isEqualTo("application/problem+json");
    assertThat(text(down)).contains("\"type\":\"https://etagguard.dev/problems/upstream-unavailable\"",
        "\"status\":502");

    upstream = new ScriptedUpstream(port);
    HttpResponse<byte[]> up = get(proxy.uri().resolve("/echo"));
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(text(up)).isEqualTo("ok");
  }

  @Test
  void theUpstreamsOwnErrorsPassThrough() throws Exception {
    HttpResponse<byte[]> r = get(proxy().resolve("/status/503"));
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(text(r)).isEqualTo("upstream says 503");
  }

  @Test
  void aSilentUpstreamGets504AndTheWritesPermitIsReleased() throws Exception {
    URI base = proxy(b -> b.upstreamTimeout(java.time.Duration.ofMillis(500)));
    HttpResponse<byte[]> read = get(base.resolve("/silent"));
    assertThat(read.statusCode()).isEqualTo(504);
    assertThat(text(read)).contains("\"type\":\"https://etagguard.dev/problems/upstream-timeout\"");

    // A guarded write whose upstream answers too late: 504, never an acknowledgement ...
    HttpResponse<byte[]> late = put(base.resolve("/store/late?delayMs=1500"), "v1", "If-None-Match", "*");
    assertThat(late.statusCode()).isEqualTo(504);
    // ... and its permit is free: the next write of the key is answered at once, not after permitTimeout.
    // The upstream did apply the late write meanwhile, and the guard asks it before deciding.
    Thread.sleep(1500);
    long start = System.nanoTime();
    HttpResponse<byte[]> next = put(base.resolve("/store/late"), "v2", "If-None-Match", "*");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
    assertThat(next.statusCode()).as(text(next)).isEqualTo(412);
  }

  @Test
  void anUpstreamThatCutsItsAnswerShortIsNeverAcknowledgedAsComplete() throws Exception {
    URI base = proxy(b -> b.guardOption("excludedPaths", "/raw/*"));
    // The guard holds bodies up to maxBufferSize for their ETag: the client gets a clean 502.
    Wire.Response held = Wire.exchange("GET", base.resolve("/cut"));
    assertThat(held.status()).isEqualTo(502);
    assertThat(new String(held.body(), StandardCharsets.UTF_8)).contains("upstream-unavailable");
    // Outside the guard's paths the answer streams: the client sees it cut short, never complete.
    Wire.Response streamed = Wire.exchange("GET", base.resolve("/raw/cut"));
    assertThat(streamed.status()).isEqualTo(200);
    assertThat(streamed.header("Content-Length")).isEqualTo("100000");
    assertThatThrownBy(streamed::body).isInstanceOf(AssertionError.class);
  }

  @Test
  void aClientThatGoesAwayMidUploadReachesNothingAndHoldsNoPermit() throws Exception {
    URI base = proxy();
    try (Socket s = new Socket(base.getHost(), base.getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("PUT /store/gone HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\nContent-Length: 1000000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[1000]);
      out.flush();
    }
    Thread.sleep(500);
    assertThat(upstream.received("/store/gone")).as("half an upload is never passed on").isEmpty();
    long start = System.nanoTime();
    HttpResponse<byte[]> next = put(base.resolve("/store/gone"), "whole", "If-None-Match", "*");
    assertThat(next.statusCode()).isEqualTo(201);
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
    assertThat(upstream.stored.get("/store/gone")).startsWith("5 ");
  }

  @Test
  void aClientThatGoesAwayDuringItsWriteReleasesThePermitWhenTheUpstreamAnswers() throws Exception {
    URI base = proxy();
    try (Socket s = new Socket(base.getHost(), base.getPort())) {
      s.getOutputStream().write(("PUT /store/left?delayMs=1000 HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n"
          + "Content-Length: 5\r\n\r\nfirst").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (upstream.received("/store/left").isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }
    // The second writer waits for the first one's permit, which ends with the upstream's answer; the
    // guard then knows the first write happened, and the second one's If-None-Match: * fails.
    long start = System.nanoTime();
    HttpResponse<byte[]> second = put(base.resolve("/store/left"), "second", "If-None-Match", "*");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5000);
    assertThat(second.statusCode()).as(text(second)).isEqualTo(412);
    assertThat(upstream.stored.get("/store/left")).startsWith("5 ");
  }

  @Test
  void aGracefulStopFinishesTheWriteInProgressAndRefusesNewRequests() throws Exception {
    URI base = proxy(b -> b.stopTimeout(java.time.Duration.ofSeconds(10)));
    CompletableFuture<HttpResponse<byte[]>> inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        return put(base.resolve("/store/stop?delayMs=1000"), "finishing", "If-None-Match", "*");
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (upstream.received("/store/stop").isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(proxy::close);
    Thread.sleep(200);
    assertThatThrownBy(() -> get(base.resolve("/echo"))).as("a new connection while stopping")
        .isInstanceOf(ConnectException.class);
    assertThat(inFlight.get().statusCode()).isEqualTo(201);
    stopping.get();
    assertThat(upstream.stored.get("/store/stop")).startsWith("9 ");
    proxy = null;
  }

  @Test
  void metricsAreOffByDefault() throws Exception {
    HttpResponse<byte[]> r = get(proxy().resolve("/metrics"));
    assertThat(text(r)).as("the upstream's answer").isEqualTo("ok");
  }

  @Test
  void metricsCountTheGuardsDecisionsAndTheUpstreamsFailures() throws Exception {
    URI base = proxy(b -> b.metrics(true).metricsPath("/_guard/metrics")
        .upstreamTimeout(java.time.Duration.ofMillis(300)));
    assertThat(put(base.resolve("/store/a"), "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
    assertThat(put(base.resolve("/store/a"), "v2").statusCode()).isEqualTo(428);
    assertThat(put(base.resolve("/store/a"), "v2", "If-Match", "\"stale\"").statusCode()).isEqualTo(412);
    assertThat(get(base.resolve("/silent")).statusCode()).isEqualTo(504);
    HttpResponse<byte[]> m = get(base.resolve("/_guard/metrics"));
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(header(m, "Content-Type")).startsWith("text/plain; version=0.0.4");
    assertThat(text(m)).contains(
        "# TYPE etagguard_lost_updates_prevented_total counter\n",
        "\netagguard_lost_updates_prevented_total 1\n",
        "\netagguard_decisions_total{decision=\"precondition_required\"} 1\n",
        "\netagguard_decisions_total{decision=\"precondition_failed\"} 1\n",
        "\netagguard_permits_granted_total 2\n",
        "\netagguard_proxy_upstream_errors_total{code=\"504\"} 1\n",
        "\netagguard_proxy_upstream_errors_total{code=\"502\"} 0\n",
        "\netagguard_proxy_responses_total{code=\"4xx\"} 2\n");
    assertThat(upstream.received("/_guard")).isEmpty();
  }

  @Test
  void writesAnAccessLog(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("access.log");
    URI base = proxy(b -> b.accessLog(log.toString()));
    get(base.resolve("/echo?x=1"));
    proxy.close();
    proxy = null;
    assertThat(Files.readString(log)).containsPattern("127\\.0\\.0\\.1 - - \\[.*\\] \"GET /echo\\?x=1 HTTP/1\\.1\" 200 2 ");
  }
}
