package dev.etagguard.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.etagguard.proxy.ETagGuardProxy;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The guarding proxy ({@code guard}: {@link ETagGuardProxy}) against Jetty's plain reverse proxy
 * ({@code jetty}: the same {@code ProxyHandler.Reverse} without the guard) and, when {@code nginx}
 * is on the PATH, nginx as a reverse proxy ({@code nginx}), all in front of one fast upstream (a
 * Jetty core handler serving bodies from memory, with a strong ETag of its own and If-None-Match
 * honoured, as a well-behaved service would). Closed-loop keep-alive clients on loopback; modes
 * alternate within each round. Prints req/s per scenario and mode, and the ratios guard/jetty
 * and guard/nginx (median, min and max over the rounds).
 *
 * <p>Options: {@code --seconds=N} per slice (2), {@code --rounds=N} (3), {@code --warmup=N}
 * seconds per slice first (2), {@code --connections=N} (4), {@code --scenarios=get-1k,...},
 * {@code --out=FILE} (the Markdown table).
 */
final class ProxyHarness {

  /** One scenario: a method and path, a body size, a header taken from a first GET. */
  record Scenario(String name, String description, String method, String path, int size, String condition) {
  }

  private static final List<Scenario> ALL = List.of(
      new Scenario("get-1k", "GET 1 KiB", "GET", "/b/k1", 1024, ""),
      new Scenario("get-64k", "GET 64 KiB", "GET", "/b/k64", 64 * 1024, ""),
      new Scenario("get-1m", "GET 1 MiB", "GET", "/b/k1m", 1024 * 1024, ""),
      new Scenario("304-64k", "GET 64 KiB, matching If-None-Match", "GET", "/b/c64", 64 * 1024, "If-None-Match"),
      new Scenario("304-64k-store", "GET 64 KiB, matching If-None-Match, guard with authoritativePaths", "GET",
          "/s/c64", 64 * 1024, "If-None-Match"),
      new Scenario("put-1k", "PUT 1 KiB with If-Match", "PUT", "/b/p1", 1024, "If-Match"));

  private ProxyHarness() {
  }

  static void main(String[] args) throws Exception {
    Map<String, String> options = LoadHarness.options(args);
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "2"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "2"));
    int connections = Integer.parseInt(options.getOrDefault("connections", "4"));
    String wanted = options.get("scenarios");
    List<Scenario> scenarios = wanted == null ? ALL
        : ALL.stream().filter(s -> Arrays.asList(wanted.split(",")).contains(s.name())).toList();
    LoadHarness.quietLogging();

    Server upstream = upstream();
    int upstreamPort = ((ServerConnector) upstream.getConnectors()[0]).getLocalPort();
    Map<String, Integer> ports = new LinkedHashMap<>();
    ETagGuardProxy guard = ETagGuardProxy.builder().upstream("http://127.0.0.1:" + upstreamPort).port(0)
        .guardOption("guardedPaths", "/b/*,/s/*").guardOption("authoritativePaths", "/s/*")
        // Every PUT of the run is byte-identical: without this the guard would answer the repeats itself.
        .guardOption("retryRecognition", "false").build().start();
    ports.put("guard", guard.port());
    Server jetty = plainJettyProxy(upstreamPort);
    ports.put("jetty", ((ServerConnector) jetty.getConnectors()[0]).getLocalPort());
    Process nginx = null;
    Path nginxDir = null;
    String nginxNote = "";
    if (onPath("nginx")) {
      nginxDir = Files.createTempDirectory("etag-guard-nginx");
      int port = freePort();
      nginx = startNginx(nginxDir, port, upstreamPort);
      ports.put("nginx", port);
    } else {
      nginxNote = "nginx is not on the PATH: its column is left out.";
      System.err.println("# " + nginxNote);
    }
    try {
      for (Map.Entry<String, Integer> mode : ports.entrySet()) {
        seed(mode.getKey(), mode.getValue(), scenarios);
      }
      System.out.printf(Locale.ROOT, "# %d cores, %s %s, %s; %d s slices, %d rounds, %d s warm-up, %d connections%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
          System.getProperty("java.runtime.version"), System.getProperty("os.name"), seconds, rounds, warmup,
          connections);
      System.out.println("# JVM flags: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
      List<String> modes = new ArrayList<>(ports.keySet());
      Map<String, byte[][]> requests = new LinkedHashMap<>();
      for (Scenario s : scenarios) {
        for (String mode : modes) {
          requests.put(s.name() + "|" + mode, requests(ports.get(mode), s, connections));
        }
      }
      if (warmup > 0) {
        for (Scenario s : scenarios) {
          for (String mode : modes) {
            LoadHarness.drive(ports.get(mode), requests.get(s.name() + "|" + mode), warmup);
          }
        }
      }
      Map<String, List<LoadHarness.Slice>> results = new LinkedHashMap<>();
      for (int round = 0; round < rounds; round++) {
        for (Scenario s : scenarios) {
          for (int m = 0; m < modes.size(); m++) {
            String mode = modes.get((m + round) % modes.size());
            LoadHarness.Slice slice = LoadHarness.drive(ports.get(mode), requests.get(s.name() + "|" + mode), seconds);
            results.computeIfAbsent(s.name() + "|" + mode, k -> new ArrayList<>()).add(slice);
            System.err.printf(Locale.ROOT, "round %d %-14s %-6s %,10.0f req/s p50 %8.0f us p99 %8.0f us%s%n",
                round + 1, s.name(), mode, slice.perSecond(), slice.p50Micros(), slice.p99Micros(),
                slice.errors() > 0 ? "  ERRORS " + slice.errors() : "");
          }
        }
      }
      String table = table(scenarios, modes, results) + (nginxNote.isEmpty() ? "" : "\n" + nginxNote + "\n");
      System.out.println(table);
      String out = options.get("out");
      if (out != null) {
        Files.writeString(Path.of(out), table);
      }
    } finally {
      guard.close();
      jetty.stop();
      upstream.stop();
      if (nginx != null) {
        nginx.destroy();
        nginx.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static String table(List<Scenario> scenarios, List<String> modes,
      Map<String, List<LoadHarness.Slice>> results) {
    boolean nginx = modes.contains("nginx");
    StringBuilder sb = new StringBuilder("| scenario | mode | req/s | p50 us | p99 us | 304s | errors | guard/jetty req/s (min-max) |"
        + (nginx ? " guard/nginx req/s (min-max) |\n" : "\n"));
    sb.append("|---|---|---:|---:|---:|---:|---:|---|" + (nginx ? "---|\n" : "\n"));
    for (Scenario s : scenarios) {
      List<LoadHarness.Slice> guard = results.get(s.name() + "|guard");
      for (String mode : modes) {
        List<LoadHarness.Slice> slices = results.get(s.name() + "|" + mode);
        long total = slices.stream().mapToLong(LoadHarness.Slice::total).sum();
        long notModified = slices.stream().mapToLong(LoadHarness.Slice::notModified).sum();
        boolean g = mode.equals("guard");
        sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.0f | %.0f | %s | %d | %s |%s%n", s.description(), mode,
            LoadHarness.median(slices.stream().mapToDouble(LoadHarness.Slice::perSecond).toArray()),
            LoadHarness.median(slices.stream().mapToDouble(LoadHarness.Slice::p50Micros).toArray()),
            LoadHarness.median(slices.stream().mapToDouble(LoadHarness.Slice::p99Micros).toArray()),
            total == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * notModified / total),
            slices.stream().mapToLong(LoadHarness.Slice::errors).sum(),
            g ? LoadHarness.ratio(guard, results.get(s.name() + "|jetty")) : "",
            !nginx ? "" : " " + (g ? LoadHarness.ratio(guard, results.get(s.name() + "|nginx")) : "") + " |"));
      }
    }
    return sb.toString();
  }

  /** The requests of each connection, with the validator a first GET through the proxy gave. */
  private static byte[][] requests(int port, Scenario s, int connections) throws IOException {
    byte[] body = s.method().equals("PUT") ? body(s.size()) : null;
    String header = "";
    if (!s.condition().isEmpty()) {
      try (HttpConnection c = new HttpConnection(port)) {
        c.exchange(HttpConnection.request("GET", s.path(), null), false);
        header = s.condition() + ": " + c.etag();
      }
    }
    byte[][] requests = new byte[connections][];
    for (int i = 0; i < connections; i++) {
      requests[i] = header.isEmpty() ? HttpConnection.request(s.method(), s.path(), body)
          : HttpConnection.request(s.method(), s.path(), body, header);
    }
    return requests;
  }

  /** Stores each scenario's body upstream, through the proxy (a first PUT with If-None-Match: *). */
  private static void seed(String mode, int port, List<Scenario> scenarios) throws IOException {
    try (HttpConnection c = new HttpConnection(port)) {
      for (Scenario s : scenarios) {
        int status = c.exchange(HttpConnection.request("PUT", s.path(), body(s.size()), "If-None-Match: *"), false);
        if (status != 201 && status != 204 && status != 412) {
          throw new IllegalStateException("seeding " + s.path() + " through " + mode + " answered " + status);
        }
      }
    }
  }

  private static byte[] body(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + (i * 7) % 26);
    }
    return b;
  }

  /** The upstream: bodies in memory by path, PUT stores, a strong ETag, If-None-Match honoured. */
  private static Server upstream() throws Exception {
    Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    Map<String, String> tags = new ConcurrentHashMap<>();
    Server server = server("upstream");
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (request.getMethod().equals("PUT")) {
          byte[] bytes;
          try (java.io.InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readAllBytes(); // a benchmark's upstream: blocking is fine here
          }
          boolean created = bodies.put(path, bytes) == null;
          tags.put(path, "\"" + HexFormat.of().formatHex(ByteBuffer.allocate(8).putLong(Arrays.hashCode(bytes))
              .array()) + "\"");
          response.setStatus(created ? 201 : 204);
          response.write(true, null, callback);
          return true;
        }
        byte[] body = bodies.get(path);
        if (body == null) {
          Response.writeError(request, response, callback, 404);
          return true;
        }
        String tag = tags.get(path);
        response.getHeaders().put(HttpHeader.ETAG, tag);
        if (tag.equals(request.getHeaders().get(HttpHeader.IF_NONE_MATCH))) {
          response.setStatus(304);
          response.write(true, null, callback);
          return true;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
      }
    });
    server.start();
    return server;
  }

  /** Jetty's reverse proxy as the guarding proxy runs it, without the guard. */
  private static Server plainJettyProxy(int upstreamPort) throws Exception {
    Server server = server("plain-proxy");
    server.setHandler(new ProxyHandler.Reverse(request -> HttpURI.build(request.getHttpURI())
        .scheme("http").host("127.0.0.1").port(upstreamPort)));
    server.start();
    return server;
  }

  private static Server server(String name) {
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName(name);
    Server server = new Server(threads);
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    return server;
  }

  private static Process startNginx(Path dir, int port, int upstreamPort) throws Exception {
    Files.createDirectories(dir.resolve("logs"));
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, """
        worker_processes auto;
        error_log %1$s/logs/error.log warn;
        pid %1$s/logs/nginx.pid;
        events { worker_connections 1024; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          client_max_body_size 0;
          # Bodies in memory, never in temporary files (which nginx's workers may not be allowed to write).
          client_body_buffer_size 2m;
          proxy_max_temp_file_size 0;
          keepalive_requests 1000000;
          upstream app { server 127.0.0.1:%3$d; keepalive 64; keepalive_requests 1000000; }
          server {
            listen 127.0.0.1:%2$d;
            location / {
              proxy_pass http://app;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Host $host;
              proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            }
          }
        }
        """.formatted(dir, port, upstreamPort), StandardCharsets.UTF_8);
    Process p = new ProcessBuilder("nginx", "-p", dir.toString(), "-c", conf.toString(), "-g", "daemon off;")
        .redirectErrorStream(true).redirectOutput(dir.resolve("logs/stdout.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try {
        new java.net.Socket("127.0.0.1", port).close();
        return p;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("nginx did not start: " + Files.readString(dir.resolve("logs/stdout.log")));
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
