package dev.etagguard.distribution;

import static dev.etagguard.distribution.JettyHomeIT.awaitDeployed;
import static dev.etagguard.distribution.JettyHomeIT.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.etagguard.cluster.servers.PostgresServer;
import dev.etagguard.cluster.servers.RedisServer;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.Readme;

import org.junit.jupiter.api.Test;

/**
 * The cluster modules on the jetty-home route: a jetty-base with {@code etag-guard-jetty-home.zip}
 * and a cluster bundle ({@code etag-guard-redis-jetty-home.zip}, {@code
 * etag-guard-postgres-jetty-home.zip}) unpacked into it, the modules added with
 * {@code --add-modules}, the store chosen in {@code start.d/etag-guard.ini}. With Redis (a server
 * from a Maven artifact): writes are ordered through it (a write while it is down is 503, and
 * succeeds once it is back). Three Jetty processes serving one wiki storage lose no update, sharing
 * Redis, or PostgreSQL (a server from a Maven artifact) through a DataSource bound as the README
 * shows. A store asked for whose module is not added, or whose DataSource is not bound, stops
 * Jetty's start with a message naming the missing piece.
 */
class JettyHomeClusterIT {


  @Test
  void theRedisModuleSharesTheGuardsStateThroughRedis() throws Exception {
    RedisServer redis = RedisServer.start();
    try {
      Path base = jettyBase("redis", List.of(bundle("etagguard.redisBundle")), "etag-guard-redis",
          "jetty.etagGuard.sharedStore=redis", "jetty.etagGuard.redisAddress=" + redis.address(),
          "jetty.etagGuard.redisTimeout=1s");
      int port = ServerProcess.freePort();
      try (ServerProcess jetty = ServerProcess.start(run(base, port), base, base.resolve("jetty.log"), Map.of())) {
        jetty.awaitPort(port, Duration.ofSeconds(90));
        URI article = URI.create("http://127.0.0.1:" + port + "/wiki/articles/shared");
        assertThat(awaitDeployed(article, jetty).statusCode()).as(jetty.tail()).isEqualTo(201);
        String etag = send("GET", article, null).headers().firstValue("ETag").orElseThrow();
        assertThat(send("PUT", article, "{\"v\":2}", "If-Match", etag).statusCode()).isEqualTo(204);
        assertThat(send("PUT", article, "{\"v\":3}", "If-Match", etag).statusCode()).isEqualTo(412);
        String current = send("GET", article, null).headers().firstValue("ETag").orElseThrow();

        redis.stop();
        HttpResponse<String> down = send("PUT", article, "{\"v\":4}", "If-Match", current);
        assertThat(down.statusCode()).as("a write while the shared store is down").isEqualTo(503);
        assertThat(down.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");

        redis.startAgain();
        int status = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && (status = send("PUT", article, "{\"v\":4}", "If-Match", current)
            .statusCode()) == 503) {
          Thread.sleep(250);
        }
        assertThat(status).as("once the store is back").isIn(204, 412);
        assertThat(send("GET", article, null).body()).isEqualTo(status == 204 ? "{\"v\":4}" : "{\"v\":2}");
      }
    } finally {
      redis.stop();
    }
  }

  /** Three Jetty processes on one jetty-base, one wiki storage and one Redis: the drill across them. */
  @Test
  void threeJettyHomesSharingRedisLoseNoUpdate() throws Exception {
    RedisServer redis = RedisServer.start();
    List<ServerProcess> jettys = new ArrayList<>();
    try {
      Path base = jettyBase("three", List.of(bundle("etagguard.redisBundle")), "etag-guard-redis",
          "jetty.etagGuard.sharedStore=redis", "jetty.etagGuard.redisAddress=" + redis.address());
      drillAcross(startThree(base, jettys));
    } finally {
      for (ServerProcess jetty : jettys) {
        jetty.close();
      }
      redis.stop();
    }
  }

  /**
   * Three Jetty processes on one jetty-base, one wiki storage and one PostgreSQL, the DataSource
   * bound as the README tells users (its jetty-base XML and ini lines, taken from it): the module
   * {@code etag-guard-postgres} alone brings what the binding needs. The drill across them loses no
   * update, and a write while PostgreSQL is down is 503, so the writes went through it.
   */
  @Test
  void threeJettyHomesSharingPostgresLoseNoUpdate() throws Exception {
    PostgresServer postgres = PostgresServer.start();
    List<ServerProcess> jettys = new ArrayList<>();
    try {
      String ini = readmeSnippet("jetty.etagGuard.postgresDataSource=");
      String xml = replaceOnce(readmeSnippet("org.eclipse.jetty.plus.jndi.Resource"), "db.internal:5432/app",
          "127.0.0.1:" + postgres.port() + "/postgres");
      xml = replaceOnce(xml, "<Set name=\"user\">app</Set>", "<Set name=\"user\">postgres</Set>");
      Path base = jettyBase("three-postgres", List.of(bundle("etagguard.postgresBundle")), "etag-guard-postgres",
          ini.lines().toArray(String[]::new));
      String xmlFile = ini.lines().filter(line -> line.endsWith(".xml")).findFirst().orElseThrow();
      Files.writeString(base.resolve(xmlFile), xml);
      List<URI> counters = startThree(base, jettys);
      drillAcross(counters);

      String etag = send("GET", counters.get(0), null).headers().firstValue("ETag").orElseThrow();
      postgres.stop();
      HttpResponse<String> down = send("PUT", counters.get(1), "31", "If-Match", etag);
      assertThat(down.statusCode()).as("a write while PostgreSQL is down").isEqualTo(503);
    } finally {
      for (ServerProcess jetty : jettys) {
        jetty.close();
      }
      postgres.stop();
    }
  }

  /**
   * Starts three Jetty processes on {@code base} (added to {@code jettys}) sharing one wiki storage,
   * and waits until each has the wiki deployed and its shared store answering a guarded write: the
   * counter's URI on each.
   */
  private static List<URI> startThree(Path base, List<ServerProcess> jettys) throws Exception {
    Path storage = Files.createDirectories(base.resolve("wiki-storage"));
    List<URI> counters = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int port = ServerProcess.freePort();
      List<String> command = new ArrayList<>(run(base, port));
      command.add(1, "-Detagguard.wiki.storage=" + storage);
      jettys.add(ServerProcess.start(command, base, base.resolve("jetty-" + i + ".log"), Map.of()));
      counters.add(URI.create("http://127.0.0.1:" + port + "/wiki/articles/counter"));
    }
    for (int i = 0; i < 3; i++) {
      ServerProcess jetty = jettys.get(i);
      jetty.awaitPort(counters.get(i).getPort(), Duration.ofSeconds(90));
      assertThat(awaitDeployed(counters.get(i).resolve("probe-" + i), jetty).statusCode()).as(jetty.tail())
          .isEqualTo(201);
    }
    return counters;
  }

  /** The lost-update drill across {@code counters}: 6 clients, 5 increments each, none lost. */
  private static void drillAcross(List<URI> counters) throws Exception {
    LostUpdateDrill.Report report = LostUpdateDrill.across(counters).clients(6).incrementsEach(5).run();
    assertThat(report.successes()).as(report.toString()).isEqualTo(30);
    assertThat(send("GET", counters.get(2), null).body()).as(report.toString()).isEqualTo("30");
  }

  /** The fenced block of the README's "Running several instances" that contains {@code marker}, without its fences. */
  private static String readmeSnippet(String marker) throws Exception {
    String[] parts = Readme.section("Running several instances").split("```");
    for (int i = 1; i < parts.length; i += 2) {
      if (parts[i].contains(marker)) {
        return parts[i].substring(parts[i].indexOf('\n') + 1);
      }
    }
    throw new AssertionError("the README's 'Running several instances' has no snippet with " + marker);
  }

  private static String replaceOnce(String text, String target, String replacement) {
    assertThat(text).as("the README's snippet").containsOnlyOnce(target);
    return text.replace(target, replacement);
  }

  @Test
  void aStoreWhoseModuleIsNotAddedStopsTheStartNamingIt() throws Exception {
    Path base = jettyBase("no-module", List.of(), null, "jetty.etagGuard.sharedStore=redis",
        "jetty.etagGuard.redisAddress=redis://127.0.0.1:1");
    assertThat(failedStart(base)).contains("etag-guard-cluster-redis");
  }

  @Test
  void aDataSourceThatIsNotBoundStopsTheStartNamingIt() throws Exception {
    Path base = jettyBase("no-datasource", List.of(bundle("etagguard.postgresBundle")), "etag-guard-postgres",
        "jetty.etagGuard.sharedStore=postgres", "jetty.etagGuard.postgresDataSource=jdbc/etagguard-missing");
    assertThat(failedStart(base)).contains("jdbc/etagguard-missing");
  }

  /** A jetty-base with the wiki war, the guard's bundle and {@code bundles}, the modules added, {@code ini} appended. */
  private static Path jettyBase(String name, List<Path> bundles, String clusterModule, String... ini) throws Exception {
    Path home = Path.of(System.getProperty("jetty.home"));
    Path base = Path.of(System.getProperty("etagguard.workDir")).resolve("jetty-base-" + name);
    ServerProcess.deleteTree(base);
    Files.createDirectories(base.resolve("webapps"));
    ServerProcess.unzip(bundle("etagguard.jettyBundle"), base);
    for (Path b : bundles) {
      ServerProcess.unzip(b, base);
    }
    Files.copy(Path.of(System.getProperty("etagguard.wikiWar")), base.resolve("webapps/wiki.war"),
        StandardCopyOption.REPLACE_EXISTING);
    String modules = "http,ee11-deploy,etag-guard" + (clusterModule == null ? "" : "," + clusterModule);
    List<String> add = List.of(ServerProcess.java(), "-jar", home.resolve("start.jar").toString(),
        "jetty.home=" + home, "jetty.base=" + base, "--add-modules=" + modules);
    Process setup = new ProcessBuilder(add).directory(base.toFile()).redirectErrorStream(true)
        .redirectOutput(base.resolve("add-modules.log").toFile()).start();
    assertThat(setup.waitFor()).as(Files.readString(base.resolve("add-modules.log"))).isZero();
    List<String> lines = new ArrayList<>(List.of("", "jetty.etagGuard.guardedPaths=/wiki/articles/*"));
    lines.addAll(List.of(ini));
    Files.writeString(base.resolve("start.d/etag-guard.ini"), String.join("\n", lines) + "\n", StandardOpenOption.APPEND);
    return base;
  }

  private static List<String> run(Path base, int port) {
    Path home = Path.of(System.getProperty("jetty.home"));
    return List.of(ServerProcess.java(), "-jar", home.resolve("start.jar").toString(), "jetty.home=" + home,
        "jetty.base=" + base, "jetty.http.host=127.0.0.1", "jetty.http.port=" + port);
  }

  /** Starts Jetty on {@code base}, expecting it to stop by itself: its log. */
  private static String failedStart(Path base) throws Exception {
    Path log = base.resolve("jetty.log");
    Process jetty = new ProcessBuilder(run(base, ServerProcess.freePort())).directory(base.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertThat(jetty.waitFor(90, TimeUnit.SECONDS)).as("Jetty stops when its start fails").isTrue();
      assertThat(jetty.exitValue()).as(Files.readString(log)).isNotZero();
      return Files.readString(log);
    } finally {
      jetty.destroyForcibly();
    }
  }

  private static Path bundle(String property) {
    Path bundle = Path.of(System.getProperty(property));
    assertThat(bundle).exists();
    return bundle;
  }
}
