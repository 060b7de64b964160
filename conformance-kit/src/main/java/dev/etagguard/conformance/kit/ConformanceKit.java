package dev.etagguard.conformance.kit;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * The command line of the conformance kit:
 *
 * <pre>
 * java -jar etag-guard-conformance.jar http://host:port/path/to/a/writable/collection/ [options]
 * </pre>
 *
 * <p>It runs the HTTP rows of the conformance cases, a lost-update check and a hostile-header check
 * against the collection (see {@link ConformanceRunner}), prints a table, one line per check, and
 * exits with {@value #PASSED} when nothing failed, {@value #FAILED} when a check failed, and
 * {@value #USAGE} for a usage error or an unreachable target. Options: see {@link #USAGE_TEXT}.
 *
 * @since 0.1
 */
public final class ConformanceKit {

  /** Exit code: every check passed or was skipped with a reason. */
  public static final int PASSED = 0;

  /** Exit code: at least one check failed. */
  public static final int FAILED = 1;

  /** Exit code: wrong arguments, or the target could not be reached. */
  public static final int USAGE = 2;

  /** The checks {@code --checks} selects from. */
  public static final Set<String> CHECKS = Set.of("rows", "lost-update", "hostile");

  /** The usage text, also printed by {@code --help}. */
  public static final String USAGE_TEXT = """
      usage: java -jar etag-guard-conformance.jar COLLECTION_URL [options]

      Checks conditional requests (RFC 9110 section 13) and lost-update protection of a server.
      COLLECTION_URL is a collection the kit may write to: it creates resources named egc-* under it
      with PUT If-None-Match: *, and deletes them again at the end. By default the collection is
      expected to require conditional writes (428 Precondition Required without If-Match).

      options:
        --open=URL          a second collection whose writes need no precondition, for the rows
                            that write without one (else they are skipped on a 428 collection)
        --no-policy         the collection does not require conditional writes: skip the 428 rows
                            and run the unconditional writes on it
        --checks=LIST       which checks to run, comma-separated: rows, lost-update, hostile
                            (default: all three)
        --clients=N         concurrent clients of the lost-update check (default 8)
        --increments=N      successful increments each of them makes (default 5)
        --timeout=SECONDS   the longest one request may take; the lost-update check gets ten
                            times this (default 30)
        --help              this text

      exit status: 0 all checks passed (some may be skipped, each with its reason),
                   1 a check failed, 2 usage error or target unreachable
      """;

  private ConformanceKit() {
  }

  /** Runs the kit and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /**
   * Runs the kit, printing to {@code out}, and returns the exit status ({@link #PASSED},
   * {@link #FAILED} or {@link #USAGE}) instead of exiting.
   */
  public static int run(String[] args, PrintStream out) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      out.println("error: " + e.getMessage());
      out.println();
      out.print(USAGE_TEXT);
      return USAGE;
    }
    if (options == null) {
      out.print(USAGE_TEXT);
      return PASSED;
    }
    for (URI uri : options.open == null ? List.of(options.collection) : List.of(options.collection, options.open)) {
      String unreachable = unreachable(uri, options.timeout);
      if (unreachable != null) {
        out.println("error: cannot reach " + uri + ": " + unreachable);
        return USAGE;
      }
    }
    List<CheckResult> results = new ArrayList<>();
    try (ConformanceRunner runner = new ConformanceRunner(options.collection, options.open, options.policy,
        options.timeout)) {
      Report.header(out, runner);
      if (options.checks.contains("rows")) {
        for (ConformanceCase c : ConformanceCases.httpRows()) {
          CheckResult r = runner.row(c);
          results.add(r);
          Report.line(out, r);
        }
      }
      if (options.checks.contains("lost-update")) {
        CheckResult r = runner.lostUpdate(options.clients, options.increments, options.timeout.multipliedBy(10));
        results.add(r);
        Report.line(out, r);
      }
      if (options.checks.contains("hostile")) {
        for (CheckResult r : runner.hostileHeaders()) {
          results.add(r);
          Report.line(out, r);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.println("interrupted");
      return FAILED;
    }
    Report.summary(out, results);
    out.flush();
    return results.stream().anyMatch(r -> r.verdict() == CheckResult.Verdict.FAIL) ? FAILED : PASSED;
  }

  private static @Nullable String unreachable(URI uri, Duration timeout) {
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      return null;
    } catch (IOException | IllegalArgumentException e) {
      return e.toString();
    }
  }

  /** The parsed command line. */
  private record Options(URI collection, @Nullable URI open, boolean policy, Set<String> checks, int clients,
      int increments, Duration timeout) {

    /** The options, or {@code null} for {@code --help}. */
    static @Nullable Options parse(String[] args) {
      URI collection = null;
      URI open = null;
      boolean policy = true;
      Set<String> checks = new LinkedHashSet<>(List.of("rows", "lost-update", "hostile"));
      int clients = 8;
      int increments = 5;
      Duration timeout = Duration.ofSeconds(30);
      for (String arg : args) {
        if (arg.equals("--help") || arg.equals("-h")) {
          return null;
        }
        if (!arg.startsWith("--")) {
          if (collection != null) {
            throw new IllegalArgumentException("one collection URL only, got a second: " + arg);
          }
          collection = url(arg, "COLLECTION_URL");
          continue;
        }
        int eq = arg.indexOf('=');
        String name = eq < 0 ? arg : arg.substring(0, eq);
        String value = eq < 0 ? null : arg.substring(eq + 1);
        switch (name) {
          case "--open" -> open = url(required(name, value), name);
          case "--no-policy" -> {
            if (value != null) {
              throw new IllegalArgumentException("--no-policy takes no value");
            }
            policy = false;
          }
          case "--checks" -> {
            checks = new LinkedHashSet<>();
            for (String c : required(name, value).split(",")) {
              String check = c.strip().toLowerCase(Locale.ROOT);
              if (!CHECKS.contains(check)) {
                throw new IllegalArgumentException("unknown check '" + check + "' in --checks (rows, lost-update, hostile)");
              }
              checks.add(check);
            }
          }
          case "--clients" -> clients = number(name, required(name, value), 1, 256);
          case "--increments" -> increments = number(name, required(name, value), 1, 10_000);
          case "--timeout" -> timeout = Duration.ofSeconds(number(name, required(name, value), 1, 3600));
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
      if (collection == null) {
        throw new IllegalArgumentException("the collection URL is missing");
      }
      return new Options(collection, open, policy, Set.copyOf(checks), clients, increments, timeout);
    }

    private static String required(String name, @Nullable String value) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(name + " needs a value: " + name + "=...");
      }
      return value;
    }

    private static URI url(String value, String what) {
      try {
        URI uri = new URI(value);
        if (!("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
            || uri.getHost() == null) {
          throw new IllegalArgumentException(what + " must be an http:// or https:// URL with a host: " + value);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
          throw new IllegalArgumentException(what + " must have no query or fragment: " + value);
        }
        return uri;
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(what + " is not a URL: " + value);
      }
    }

    private static int number(String name, String value, int min, int max) {
      try {
        int n = Integer.parseInt(value.strip());
        if (n < min || n > max) {
          throw new IllegalArgumentException(name + " must be " + min + "-" + max + ": " + value);
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be a number: " + value);
      }
    }
  }
}
