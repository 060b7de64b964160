package dev.etagguard.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The wiki on a real Tomcat distribution ({@code org.apache.tomcat:tomcat} tar.gz, the version of
 * the embedded Tomcat the project builds on), started as {@code bin/catalina.sh run} in a separate
 * process with a fresh {@code CATALINA_BASE} per run, the HTTP connector on a free loopback port and
 * the shutdown port disabled:
 *
 * <ul>
 *   <li>behind the valve: the valve jar and its runtime dependencies in {@code lib/}, the
 *       {@code <Valve>} in the Host of {@code conf/server.xml}, {@code wiki.war} deployed with its
 *       web.xml filter switched off by {@code conf/Catalina/localhost/wiki.xml};
 *   <li>the drop-in story: the unmodified {@code wiki.war} (the filter in {@code WEB-INF/lib},
 *       configured by its web.xml) on a plain Tomcat.
 * </ul>
 *
 * Both must answer ETag / 304 / 412 / 428 alike. The process tree is destroyed after each run,
 * also on failure.
 */
class TomcatDistributionIT {

  private static final Duration STARTUP_BOUND = Duration.ofSeconds(120);

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();

  @Test
  void wikiBehindTheValveInServerXml() throws Exception {
    Path base = prepareBase("valve");
    List<Path> jars;
    try (Stream<Path> files = Files.list(Path.of(required("etagguard.tomcatValveLib")))) {
      jars = files.filter(p -> p.toString().endsWith(".jar")).toList();
    }
    assertThat(jars).extracting(p -> p.getFileName().toString())
        .anyMatch(n -> n.startsWith("etag-guard-tomcat-"))
        .anyMatch(n -> n.startsWith("etag-guard-filter-core-"))
        .anyMatch(n -> n.startsWith("caffeine-"))
        .anyMatch(n -> n.startsWith("jackson-core-"))
        .anyMatch(n -> n.startsWith("jspecify-"));
    for (Path jar : jars) {
      Files.copy(jar, base.resolve("lib").resolve(jar.getFileName()));
    }
    editServerXml(base, "<Valve className=\"dev.etagguard.tomcat.ETagGuardValve\" guardedPaths=\"/articles/*\"/>");
    Path descriptors = Files.createDirectories(base.resolve("conf/Catalina/localhost"));
    Files.writeString(descriptors.resolve("wiki.xml"), """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- The valve guards this webapp: its own web.xml filter is switched off. -->
        <Context>
          <Parameter name="dev.etagguard.enabled" value="false" override="false"/>
        </Context>
        """);
    String log = runAndCheck(base);
    assertThat(log).as("the filter in wiki.war was switched off").contains("enabled=false");
  }

  @Test
  void unmodifiedWikiWarOnAPlainTomcat() throws Exception {
    Path base = prepareBase("plain");
    editServerXml(base, "");
    String log = runAndCheck(base);
    assertThat(log).doesNotContain("enabled=false");
  }

  /** Starts Tomcat on the base, checks the wiki over HTTP, stops it (always); returns the console log. */
  private static String runAndCheck(Path base) throws Exception {
    Path home = home();
    Path console = base.resolve("logs/console.log");
    int port = Integer.parseInt(Files.readString(base.resolve("http.port")).strip());
    Map<String, String> env = Map.of(
        "JAVA_HOME", System.getProperty("java.home"),
        "CATALINA_HOME", home.toString(),
        "CATALINA_BASE", base.toString(),
        "CATALINA_OPTS", "-Xshare:off",
        "JAVA_OPTS", "",
        "CATALINA_PID", "");
    List<String> command = List.of("/bin/sh", home.resolve("bin/catalina.sh").toString(), "run");
    try (ServerProcess tomcat = ServerProcess.start(command, base, console, env)) {
      tomcat.awaitPort(port, STARTUP_BOUND);
      URI wiki = URI.create("http://127.0.0.1:" + port + "/wiki/");
      awaitDeployed(wiki.resolve("articles"), tomcat);
      checkGuarded(wiki, tomcat);
    }
    return Files.readString(console);
  }

  private static void checkGuarded(URI wiki, ServerProcess tomcat) throws Exception {
    URI article = wiki.resolve("articles/distribution");
    assertThat(send("PUT", article, "{\"title\":\"Hello\"}", "If-None-Match", "*").statusCode())
        .as(tomcat.tail()).isEqualTo(201);
    HttpResponse<String> read = send("GET", article, null);
    assertThat(read.statusCode()).isEqualTo(200);
    String etag = read.headers().firstValue("ETag").orElse(null);
    assertThat(etag).as("a generated strong ETag").isNotNull().doesNotStartWith("W/");
    assertThat(read.headers().allValues("ETag")).as("tagged once").hasSize(1);
    assertThat(read.headers().firstValue("Last-Modified")).isPresent();

    HttpResponse<String> notModified = send("GET", article, null, "If-None-Match", etag);
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();

    HttpResponse<String> unconditional = send("PUT", article, "{\"title\":\"Eve\"}");
    assertThat(unconditional.statusCode()).isEqualTo(428);
    assertThat(unconditional.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");

    assertThat(send("PUT", article, "{\"title\":\"Bob\"}", "If-Match", etag).statusCode()).isEqualTo(204);
    HttpResponse<String> stale = send("PUT", article, "{\"title\":\"Mary\"}", "If-Match", etag);
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(stale.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(stale.body()).contains("/articles/distribution");
    assertThat(send("GET", article, null).body()).isEqualTo("{\"title\":\"Bob\"}");
  }

  // ---------------------------------------------------------------- the distribution

  /** A fresh CATALINA_BASE: conf copied from CATALINA_HOME, wiki.war in webapps/, a free port chosen. */
  private static Path prepareBase(String name) throws IOException {
    Path home = home();
    // A fresh directory per run: two builds of one work tree never share a running base.
    Path runs = Files.createDirectories(Path.of(required("etagguard.workDir")).toAbsolutePath());
    Path base = Files.createTempDirectory(runs, "tomcat-" + name + "-");
    for (String dir : List.of("conf", "lib", "logs", "temp", "webapps", "work")) {
      Files.createDirectories(base.resolve(dir));
    }
    try (Stream<Path> conf = Files.list(home.resolve("conf"))) {
      for (Path file : conf.filter(Files::isRegularFile).toList()) {
        Files.copy(file, base.resolve("conf").resolve(file.getFileName()));
      }
    }
    Path war = Path.of(required("etagguard.wikiWar"));
    assertThat(war).as("wiki.war (samples/wiki, built earlier in the reactor)").isRegularFile();
    Files.copy(war, base.resolve("webapps/wiki.war"));
    Files.writeString(base.resolve("http.port"), Integer.toString(ServerProcess.freePort()));
    return base;
  }

  /** Loopback HTTP connector on the chosen port, no shutdown port, no auto-deploy; {@code hostValve} in the Host. */
  private static void editServerXml(Path base, String hostValve) throws IOException {
    Path serverXml = base.resolve("conf/server.xml");
    String xml = Files.readString(serverXml);
    String port = Files.readString(base.resolve("http.port")).strip();
    xml = replaceOnce(xml, "<Server port=\"8005\"", "<Server port=\"-1\"");
    xml = replaceOnce(xml, "<Connector port=\"8080\"", "<Connector port=\"" + port + "\" address=\"127.0.0.1\"");
    int host = xml.indexOf("<Host name=\"localhost\"");
    assertThat(host).as("the localhost Host in %s", serverXml).isPositive();
    int hostEnd = xml.indexOf('>', host) + 1;
    String hostTag = xml.substring(host, hostEnd).replace("autoDeploy=\"true\"", "autoDeploy=\"false\"");
    xml = xml.substring(0, host) + hostTag + "\n        " + hostValve + xml.substring(hostEnd);
    Files.writeString(serverXml, xml);
  }

  private static String replaceOnce(String text, String from, String to) {
    assertThat(text).as("server.xml of the distribution").contains(from);
    return text.replace(from, to);
  }

  /** Waits (bounded) until the webapp answers: the connector listens before deployment ends. */
  private static void awaitDeployed(URI probe, ServerProcess tomcat) throws Exception {
    long deadline = System.nanoTime() + STARTUP_BOUND.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = send("GET", probe, null).statusCode();
      if (last == 200) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("wiki not deployed within " + STARTUP_BOUND + " (last status " + last + "):\n"
        + tomcat.tail());
  }

  private static HttpResponse<String> send(String method, URI uri, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Path home() {
    Path home = Path.of(required("tomcat.home"));
    assertThat(home.resolve("bin/catalina.sh")).as("the unpacked Tomcat distribution").isRegularFile();
    return home;
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    assertThat(value).as("system property %s (set by the build)", property).isNotBlank();
    return value;
  }
}
