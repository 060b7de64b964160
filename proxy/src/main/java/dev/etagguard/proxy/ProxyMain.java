package dev.etagguard.proxy;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;

import org.jspecify.annotations.Nullable;

/**
 * The command line of {@code etag-guard-proxy.jar}:
 *
 * <pre>
 * java -jar etag-guard-proxy.jar --upstream=http://127.0.0.1:3000 --port=8080 --guardedPaths=/api/*
 * </pre>
 *
 * <p>Every option, the proxy's ({@link ETagGuardProxy#options()}) and the guard's
 * ({@link GuardSettings#options()}), is {@code --NAME=VALUE}; {@code --config=FILE} reads more from
 * a properties file ({@code NAME=VALUE} lines), which the command line overrides. Prints exactly
 * one line to stdout, {@code Listening on http://HOST:PORT/}, once serving; everything else goes
 * to stderr. Exit code {@value #EXIT_USAGE} for a bad argument or option, {@value #EXIT_FAILURE}
 * when the proxy does not start. Stops gracefully on SIGTERM / Ctrl-C.
 *
 * @since 0.1
 */
public final class ProxyMain {

  /** The exit code for a bad argument or option. */
  public static final int EXIT_USAGE = 2;

  /** The exit code when the proxy does not start. */
  public static final int EXIT_FAILURE = 1;

  private static final String NAME = "etag-guard-proxy";

  private ProxyMain() {
  }

  /** Runs the proxy until the JVM is told to stop. */
  public static void main(String[] args) throws InterruptedException {
    Map<String, String> options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(NAME + ": " + e.getMessage());
      usage(System.err);
      System.exit(EXIT_USAGE);
      return;
    }
    if (options == null) {
      usage(System.err);
      return;
    }
    ETagGuardProxy proxy;
    try {
      proxy = ETagGuardProxy.fromOptions(options).start();
    } catch (Exception e) {
      IllegalArgumentException bad = badOption(e);
      if (bad != null) {
        System.err.println(NAME + ": " + bad.getMessage());
        System.exit(EXIT_USAGE);
      }
      System.err.println(NAME + ": could not start: " + e);
      e.printStackTrace(System.err);
      System.exit(EXIT_FAILURE);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println(NAME + ": stopping");
      proxy.close();
    }, NAME + "-shutdown"));
    String host = options.getOrDefault("host", "127.0.0.1");
    System.out.println("Listening on http://" + (host.equals("0.0.0.0") || host.isBlank() ? "127.0.0.1" : host)
        + ":" + proxy.port() + "/");
    System.out.flush();
    new CountDownLatch(1).await();
  }

  /**
   * The options of a command line: those of {@code --config=FILE} first, then the others, by name;
   * {@code null} for {@code --help} or {@code -h}.
   *
   * @throws IllegalArgumentException naming the argument, for one not of the form {@code --NAME=VALUE}
   *     or an unreadable configuration file
   */
  static @Nullable Map<String, String> parse(String... args) {
    Map<String, String> fromFile = new LinkedHashMap<>();
    Map<String, String> given = new LinkedHashMap<>();
    for (String arg : args) {
      if (arg.equals("--help") || arg.equals("-h")) {
        return null;
      }
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 3) {
        throw new IllegalArgumentException("expected --NAME=VALUE, got '" + arg + "'");
      }
      String name = arg.substring(2, eq);
      String value = arg.substring(eq + 1);
      if (name.equals("config")) {
        fromFile.putAll(readOptions(Path.of(value)));
      } else {
        given.put(name, value);
      }
    }
    fromFile.putAll(given);
    return fromFile;
  }

  /** The options of a properties file. */
  static Map<String, String> readOptions(Path file) {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      properties.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("--config: cannot read " + file + ": " + e.getMessage());
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (String name : properties.stringPropertyNames()) {
      options.put(name, properties.getProperty(name));
    }
    return options;
  }

  /** The option problem behind a failed start, if that is what failed it. */
  private static @Nullable IllegalArgumentException badOption(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException bad) {
        return bad;
      }
    }
    return null;
  }

  /** Prints the usage: the command, then every option with its default. */
  static void usage(PrintStream out) {
    out.println("usage: java -jar etag-guard-proxy.jar --upstream=URL [--NAME=VALUE ...] [--config=FILE]");
    out.println();
    out.println("ETag Guard in front of any HTTP service. Options of the proxy:");
    for (Option<?> o : ETagGuardProxy.options()) {
      print(out, o);
    }
    out.println("  --config=FILE  more options from a properties file (NAME=VALUE lines); the command line wins");
    out.println();
    out.println("Options of the guard (the same names as everywhere; README \"Options\"):");
    for (Option<?> o : GuardSettings.options()) {
      print(out, o);
    }
  }

  private static void print(PrintStream out, Option<?> o) {
    out.println("  --" + o.name() + "=" + (o.defaultValue().isEmpty() ? "<" + o.kind() + ">" : o.defaultValue()));
    out.println("      " + o.description());
  }
}
