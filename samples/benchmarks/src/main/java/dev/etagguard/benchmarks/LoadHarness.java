package dev.etagguard.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the wiki servlet on embedded Jetty and Tomcat, {@code bare}, behind Spring's
 * {@code ShallowEtagHeaderFilter} ({@code spring}) and behind {@code ETagGuardFilter}
 * ({@code guard}), all in this JVM, and drives each with a closed-loop keep-alive client on
 * loopback for a fixed time. Modes alternate within each round (the order rotates per round), so
 * drift of the machine hits all modes alike. Prints req/s and p50/p99 per server, scenario and
 * mode, the process CPU time per request (servers and client), and the ratios guard/bare and
 * guard/spring per round (median, min and max).
 *
 * <p>Options: {@code --seconds=N} per slice (2), {@code --rounds=N} (3), {@code --warmup=N}
 * seconds per slice before the rounds (2), {@code --servers=jetty,tomcat},
 * {@code --scenarios=get-1k,...}, {@code --connections=N} for reads (4), {@code --out=FILE}
 * (also writes the Markdown table there), {@code --modes=bare,spring,guard} (the default; add
 * {@code filter}, a servlet filter that only calls the chain, to see what any filter costs: the
 * table then also gives guard/filter; add {@code native} for the server's own adapter, the Jetty
 * handler or the Tomcat valve, whose rows get the guard's ratio columns; add {@code redis} and
 * {@code postgres} for the filter on a shared store, a Redis or PostgreSQL the harness starts from
 * the build's Maven artifacts on loopback: their rows also get their ratio to {@code guard}, the
 * in-process store, and the p50 they add to it).
 */
final class LoadHarness {


  /** One load scenario: what each connection sends, and which statuses count as success. */
  record Scenario(String name, String description, int connections, String method, String path, int bodySize,
      boolean perConnectionPath, String conditionHeader) {

    String pathFor(int connection) {
      return perConnectionPath ? path + connection : path;
    }
  }

  /** One measured slice. */
  record Slice(double perSecond, double p50Micros, double p99Micros, long errors, long notModified, long total,
      double cpuMicros) {
  }

  private final Map<String, String> options;
  private final int seconds;
  private final int rounds;
  private final int warmup;
  private final List<Scenario> scenarios;
  private final List<String> servers;
  private final Servers.Mode[] modes;
  private final Map<Integer, byte[]> bodies = new LinkedHashMap<>();

  private LoadHarness(Map<String, String> options) {
    this.options = options;
    this.seconds = Integer.parseInt(options.getOrDefault("seconds", "2"));
    this.rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    this.warmup = Integer.parseInt(options.getOrDefault("warmup", "2"));
    int c = Integer.parseInt(options.getOrDefault("connections", "4"));
    List<Scenario> all = List.of(
        new Scenario("get-1k", "GET 1 KiB", c, "GET", "/articles/k1", 1024, false, ""),
        new Scenario("get-64k", "GET 64 KiB", c, "GET", "/articles/k64", 64 * 1024, false, ""),
        new Scenario("get-1m", "GET 1 MiB", c, "GET", "/articles/k1m", 1024 * 1024, false, ""),
        new Scenario("304-64k", "GET 64 KiB, matching If-None-Match", c, "GET", "/articles/c64", 64 * 1024, false,
            "If-None-Match"),
        new Scenario("304-64k-store", "GET 64 KiB, matching If-None-Match, authoritativePaths", c, "GET",
            "/store/c64", 64 * 1024, false, "If-None-Match"),
        new Scenario("304-slow", "GET 1 KiB, 1 ms handler, matching If-None-Match, authoritativePaths", c, "GET",
            "/slow/s1", 1024, false, "If-None-Match"),
        new Scenario("put-1k", "PUT 1 KiB with If-Match", c, "PUT", "/articles/p1", 1024, false, "If-Match"),
        new Scenario("writers-distinct", "8 writers, distinct keys, PUT 1 KiB If-Match", 8, "PUT", "/articles/w", 1024,
            true, "If-Match"),
        new Scenario("writers-one", "8 writers, one key, PUT 1 KiB If-Match", 8, "PUT", "/articles/one", 1024, false,
            "If-Match"),
        new Scenario("get-1k-256", "GET 1 KiB, 256 connections", 256, "GET", "/articles/k256", 1024, false, ""),
        new Scenario("writers-many", "64 writers, 64 keys, PUT 1 KiB If-Match", 64, "PUT", "/articles/m", 1024,
            true, "If-Match"));
    String wanted = options.get("scenarios");
    this.scenarios = wanted == null ? all
        : all.stream().filter(s -> Arrays.asList(wanted.split(",")).contains(s.name())).toList();
    this.servers = Arrays.asList(options.getOrDefault("servers", "jetty,tomcat").split(","));
    this.modes = Arrays.stream(options.getOrDefault("modes", "bare,spring,guard").split(","))
        .map(m -> Servers.Mode.valueOf(m.strip().toUpperCase(Locale.ROOT)))
        .toArray(Servers.Mode[]::new);
    for (Servers.Mode required : new Servers.Mode[] {Servers.Mode.BARE, Servers.Mode.SPRING, Servers.Mode.GUARD}) {
      if (!Arrays.asList(modes).contains(required)) {
        throw new IllegalArgumentException("--modes must include bare, spring and guard (the ratios need them)");
      }
    }
    Random random = new Random(7);
    for (Scenario s : all) {
      bodies.computeIfAbsent(s.bodySize(), size -> {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
          b[i] = (byte) ('a' + random.nextInt(26));
        }
        return b;
      });
    }
  }

  static void main(String[] args) throws Exception {
    new LoadHarness(options(args)).run();
  }

  /** The {@code --name=value} arguments of a harness, by name. */
  static Map<String, String> options(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (String a : args) {
      if (!a.startsWith("--") || !a.contains("=")) {
        throw new IllegalArgumentException("Options are --name=value: " + a);
      }
      options.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
    }
    return options;
  }

  private void run() throws Exception {
    quietLogging();
    Map<String, Servers.Running> running = new LinkedHashMap<>();
    try {
      for (String server : servers) {
        for (Servers.Mode mode : modes) {
          Servers.Running r = switch (server) {
            case "jetty" -> Servers.jetty(mode);
            case "tomcat" -> Servers.tomcat(mode);
            default -> throw new IllegalArgumentException("--servers: jetty or tomcat, not " + server);
          };
          running.put(server + "/" + mode.label(), r);
          seed(r.port());
        }
      }
      System.out.printf(Locale.ROOT, "# %d cores, %s %s, %s; %d s slices, %d rounds, %d s warm-up%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
          System.getProperty("java.runtime.version"), System.getProperty("os.name"), seconds, rounds, warmup);
      System.out.println("# JVM flags: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
      if (warmup > 0) {
        for (Scenario s : scenarios) {
          for (String server : servers) {
            for (Servers.Mode mode : modes) {
              measure(running.get(server + "/" + mode.label()).port(), s, warmup);
            }
          }
        }
      }
      // results[server][scenario][mode] -> one slice per round
      Map<String, List<Slice>> results = new LinkedHashMap<>();
      for (int round = 0; round < rounds; round++) {
        for (Scenario s : scenarios) {
          for (String server : servers) {
            for (int m = 0; m < modes.length; m++) {
              Servers.Mode mode = modes[(m + round) % modes.length];
              Slice slice = measure(running.get(server + "/" + mode.label()).port(), s, seconds);
              results.computeIfAbsent(server + "|" + s.name() + "|" + mode.label(), k -> new ArrayList<>()).add(slice);
              System.err.printf(Locale.ROOT,
                  "round %d %-7s %-17s %-6s %,10.0f req/s p50 %8.0f us p99 %8.0f us cpu %6.0f us/req%s%n",
                  round + 1, server, s.name(), mode.label(), slice.perSecond(), slice.p50Micros(), slice.p99Micros(),
                  slice.cpuMicros(),
                  slice.errors() > 0 ? "  ERRORS " + slice.errors() : "");
            }
          }
        }
      }
      String table = table(results);
      System.out.println(table);
      String out = options.get("out");
      if (out != null) {
        Files.writeString(Path.of(out), table);
      }
    } finally {
      for (Servers.Running r : running.values()) {
        r.stop();
      }
      SharedStores.closeAll();
    }
  }

  private String table(Map<String, List<Slice>> results) {
    boolean filter = Arrays.asList(modes).contains(Servers.Mode.FILTER);
    boolean shared = Arrays.asList(modes).contains(Servers.Mode.REDIS) || Arrays.asList(modes).contains(Servers.Mode.POSTGRES);
    StringBuilder sb = new StringBuilder();
    sb.append("| server | scenario | mode | req/s | p50 us | p99 us | CPU us/req | 304s | errors "
        + "| guard/bare req/s (min-max) | guard/spring req/s (min-max) | bare/guard CPU |"
        + (filter ? " guard/filter req/s (min-max) |" : "")
        + (shared ? " shared/guard req/s (min-max) | p50 added to guard's us |" : "") + "\n");
    sb.append("|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|" + (filter ? "---|" : "")
        + (shared ? "---|---:|" : "") + "\n");
    for (String server : servers) {
      for (Scenario s : scenarios) {
        List<Slice> bare = results.get(server + "|" + s.name() + "|bare");
        for (Servers.Mode mode : modes) {
          // The ratio columns belong to the rows of the guard's modes (guard, native).
          List<Slice> slices = results.get(server + "|" + s.name() + "|" + mode.label());
          long total = slices.stream().mapToLong(Slice::total).sum();
          long notModified = slices.stream().mapToLong(Slice::notModified).sum();
          boolean guarded = mode.guarded();
          boolean sharedRow = mode == Servers.Mode.REDIS || mode == Servers.Mode.POSTGRES;
          List<Slice> guard = results.get(server + "|" + s.name() + "|guard");
          String sharedColumns = !shared ? "" : sharedRow
              ? String.format(Locale.ROOT, " %s | %.0f |", ratio(slices, guard),
                  median(slices.stream().mapToDouble(Slice::p50Micros).toArray())
                      - median(guard.stream().mapToDouble(Slice::p50Micros).toArray()))
              : " | |";
          sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %,.0f | %.0f | %.0f | %.0f | %s | %d | %s | %s | %s |%s%s%n",
              server, s.description(), mode.label(),
              median(slices.stream().mapToDouble(Slice::perSecond).toArray()),
              median(slices.stream().mapToDouble(Slice::p50Micros).toArray()),
              median(slices.stream().mapToDouble(Slice::p99Micros).toArray()),
              median(slices.stream().mapToDouble(Slice::cpuMicros).toArray()),
              total == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * notModified / total),
              slices.stream().mapToLong(Slice::errors).sum(),
              guarded ? ratio(slices, bare) : "",
              guarded ? ratio(slices, results.get(server + "|" + s.name() + "|spring")) : "",
              guarded ? String.format(Locale.ROOT, "%.2f",
                  median(bare.stream().mapToDouble(Slice::cpuMicros).toArray())
                      / median(slices.stream().mapToDouble(Slice::cpuMicros).toArray())) : "",
              !filter ? "" : guarded
                  ? " " + ratio(slices, results.get(server + "|" + s.name() + "|filter")) + " |" : " |",
              sharedColumns));
        }
      }
    }
    return sb.toString();
  }

  static String ratio(List<Slice> a, List<Slice> b) {
    double[] r = new double[a.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = a.get(i).perSecond() / b.get(i).perSecond();
    }
    double[] sorted = r.clone();
    Arrays.sort(sorted);
    return String.format(Locale.ROOT, "**%.2f** (%.2f-%.2f)", median(r), sorted[0], sorted[sorted.length - 1]);
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** Creates every resource the scenarios use (If-None-Match: * creates it under the guard). */
  private void seed(int port) throws IOException {
    try (HttpConnection c = new HttpConnection(port)) {
      List<String> paths = new ArrayList<>();
      for (Scenario s : scenarios) {
        if (s.perConnectionPath()) {
          for (int i = 0; i < s.connections(); i++) {
            paths.add(s.pathFor(i) + "=" + s.bodySize());
          }
        } else {
          paths.add(s.path() + "=" + s.bodySize());
        }
      }
      for (String p : paths) {
        String path = p.substring(0, p.indexOf('='));
        byte[] body = bodies.get(Integer.parseInt(p.substring(p.indexOf('=') + 1)));
        int status = c.exchange(HttpConnection.request("PUT", path, body, "If-None-Match: *"), false);
        if (status != 201 && status != 204) {
          throw new IllegalStateException("seeding " + path + " answered " + status);
        }
      }
    }
  }

  /** The current ETag of a path as the mode's server tags it, or a tag that matches nothing. */
  private static String currentTag(int port, String path) throws IOException {
    try (HttpConnection c = new HttpConnection(port)) {
      c.exchange(HttpConnection.request("GET", path, null), false);
      String tag = c.etag();
      return tag != null ? tag : "\"none\"";
    }
  }

  private Slice measure(int port, Scenario s, int durationSeconds) throws Exception {
    byte[][] requests = new byte[s.connections()][];
    for (int i = 0; i < requests.length; i++) {
      String path = s.pathFor(i);
      byte[] body = "PUT".equals(s.method()) ? bodies.get(s.bodySize()) : null;
      requests[i] = s.conditionHeader().isEmpty()
          ? HttpConnection.request(s.method(), path, body)
          : HttpConnection.request(s.method(), path, body, s.conditionHeader() + ": " + currentTag(port, path));
    }
    return drive(port, requests, durationSeconds);
  }

  /**
   * Drives {@code port} with one closed-loop keep-alive connection per request for
   * {@code durationSeconds}; a 304 counts as a success.
   */
  static Slice drive(int port, byte[][] requests, int durationSeconds) throws Exception {
    System.gc();
    int connections = requests.length;
    long[][] latencies = new long[connections][];
    int[] counts = new int[connections];
    AtomicLong errors = new AtomicLong();
    AtomicLong notModified = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    long[] window = new long[2];
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      int id = i;
      Thread t = new Thread(() -> {
        long[] lat = new long[1 << 16];
        int n = 0;
        try (HttpConnection c = new HttpConnection(port)) {
          start.await();
          long end = window[1];
          while (true) {
            long t0 = System.nanoTime();
            if (t0 >= end) {
              break;
            }
            int status = c.exchange(requests[id], false);
            long t1 = System.nanoTime();
            if (status == 304) {
              notModified.incrementAndGet();
            } else if (status / 100 != 2) {
              errors.incrementAndGet();
            }
            if (n == lat.length) {
              lat = Arrays.copyOf(lat, n * 2);
            }
            lat[n++] = t1 - t0;
          }
        } catch (IOException | InterruptedException | RuntimeException e) {
          errors.incrementAndGet();
        }
        latencies[id] = lat;
        counts[id] = n;
      }, "load-" + i);
      threads.add(t);
      t.start();
    }
    Thread.sleep(50); // connections open
    long cpu0 = processCpuNanos();
    window[0] = System.nanoTime();
    window[1] = window[0] + durationSeconds * 1_000_000_000L;
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - window[0]) / 1e9;
    long cpu = processCpuNanos() - cpu0;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int i = 0; i < counts.length; i++) {
      if (latencies[i] != null) {
        System.arraycopy(latencies[i], 0, all, at, counts[i]);
        at += counts[i];
      }
    }
    Arrays.sort(all, 0, at);
    double p50 = at == 0 ? 0 : all[(int) (at * 0.50)] / 1e3;
    double p99 = at == 0 ? 0 : all[Math.min(at - 1, (int) (at * 0.99))] / 1e3;
    return new Slice(total / elapsed, p50, p99, errors.get(), notModified.get(), total,
        total == 0 ? 0 : cpu / 1e3 / total);
  }

  /** CPU time of this process (servers and client): per request, it stays comparable on a busy machine. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static void quietLogging() {
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    for (var h : java.util.logging.Logger.getLogger("").getHandlers()) {
      h.setLevel(java.util.logging.Level.WARNING);
    }
    System.setProperty("org.eclipse.jetty.LEVEL", "WARN");
  }
}
