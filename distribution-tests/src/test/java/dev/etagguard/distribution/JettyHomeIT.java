package dev.etagguard.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The jetty-home route, as a user takes it: a jetty-base with the module bundle unpacked into it,
 * {@code --add-modules=etag-guard} plus a servlet deployment (the wiki war, whose own web.xml
 * filter then stands aside), Jetty started as a separate process on a free loopback port, and
 * ETag / 304 / 412 / 428 checked over HTTP.
 */
class JettyHomeIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void moduleInstallsIntoAJettyBaseAndGuardsTheDeployment() throws Exception {
    Path home = Path.of(System.getProperty("jetty.home"));
    Path bundle = Path.of(System.getProperty("etagguard.jettyBundle"));
    Path war = Path.of(System.getProperty("etagguard.wikiWar"));
    assertThat(home.resolve("start.jar")).exists();
    assertThat(bundle).exists();
    assertThat(war).exists();
    Path base = Path.of(System.getProperty("etagguard.workDir")).resolve("jetty-base");
    ServerProcess.deleteTree(base);
    Files.createDirectories(base.resolve("webapps"));
    ServerProcess.unzip(bundle, base);
    Files.copy(war, base.resolve("webapps/wiki.war"), StandardCopyOption.REPLACE_EXISTING);

    Path log = base.resolve("jetty.log");
    List<String> add = List.of(ServerProcess.java(), "-jar", home.resolve("start.jar").toString(),
        "jetty.home=" + home, "jetty.base=" + base, "--add-modules=http,ee11-deploy,etag-guard");
    Process setup = new ProcessBuilder(add).directory(base.toFile()).redirectErrorStream(true)
        .redirectOutput(base.resolve("add-modules.log").toFile()).start();
    assertThat(setup.waitFor()).as(Files.readString(base.resolve("add-modules.log"))).isZero();
    assertThat(base.resolve("start.d/etag-guard.ini")).exists();
    Files.writeString(base.resolve("start.d/etag-guard.ini"),
        "\njetty.etagGuard.guardedPaths=/wiki/articles/*\n", java.nio.file.StandardOpenOption.APPEND);

    int port = ServerProcess.freePort();
    List<String> run = List.of(ServerProcess.java(), "-jar", home.resolve("start.jar").toString(),
        "jetty.home=" + home, "jetty.base=" + base, "jetty.http.host=127.0.0.1", "jetty.http.port=" + port);
    try (ServerProcess jetty = ServerProcess.start(run, base, log, Map.of())) {
      jetty.awaitPort(port, Duration.ofSeconds(90));
      URI article = URI.create("http://127.0.0.1:" + port + "/wiki/articles/dist");
      HttpResponse<String> created = awaitDeployed(article, jetty);
      assertThat(created.statusCode()).as(jetty.tail()).isEqualTo(201);

      HttpResponse<String> read = send("GET", article, null);
      assertThat(read.statusCode()).isEqualTo(200);
      String etag = read.headers().firstValue("ETag").orElse(null);
      assertThat(etag).as("a generated strong ETag").isNotNull().doesNotStartWith("W/");
      assertThat(read.headers().allValues("ETag")).as("tagged once").hasSize(1);

      assertThat(send("GET", article, null, "If-None-Match", etag).statusCode()).isEqualTo(304);
      assertThat(send("PUT", article, "{\"v\":2}", "If-Match", etag).statusCode()).isEqualTo(204);
      HttpResponse<String> stale = send("PUT", article, "{\"v\":3}", "If-Match", etag);
      assertThat(stale.statusCode()).isEqualTo(412);
      assertThat(stale.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
      HttpResponse<String> unconditional = send("PUT", article, "{\"v\":4}");
      assertThat(unconditional.statusCode()).isEqualTo(428);
      assertThat(unconditional.body()).contains("/wiki/articles/dist");
      assertThat(send("GET", article, null).body()).isEqualTo("{\"v\":2}");
    }
  }

  /** The first create, retried while the war is still deploying (404 from Jetty). */
  static HttpResponse<String> awaitDeployed(URI article, ServerProcess jetty) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HttpResponse<String> r;
    do {
      r = send("PUT", article, "{\"v\":1}", "If-None-Match", "*");
      if (r.statusCode() != 404 && r.statusCode() != 503) {
        return r;
      }
      Thread.sleep(250);
    } while (System.nanoTime() < deadline);
    throw new IllegalStateException("the wiki was not deployed: last status " + r.statusCode() + "\n" + jetty.tail());
  }

  static HttpResponse<String> send(String method, URI uri, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

}
