package dev.etagguard.benchmarks;

import java.util.Arrays;

/**
 * Entry point of {@code etag-guard-benchmarks.jar}: {@code load [options]} runs the
 * {@link LoadHarness}, {@code proxy [options]} the {@link ProxyHarness}; any other arguments go to
 * JMH ({@code org.openjdk.jmh.Main}).
 */
public final class BenchmarkMain {

  private BenchmarkMain() {
  }

  /** Runs the load harness or JMH. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && "load".equals(args[0])) {
      LoadHarness.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && "proxy".equals(args[0])) {
      ProxyHarness.main(Arrays.copyOfRange(args, 1, args.length));
    } else {
      org.openjdk.jmh.Main.main(args);
    }
  }
}
