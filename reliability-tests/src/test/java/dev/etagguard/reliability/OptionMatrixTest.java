package dev.etagguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import dev.etagguard.settings.CompressionMode;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.conformance.kit.CheckResult;
import dev.etagguard.conformance.kit.ConformanceRunner;
import dev.etagguard.testing.LostUpdateDrill;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every option that changes a decision, crossed with every adapter: on each cell, the lost-update
 * drill (0 lost), a linearizability history, and the conformance kit's rows (those the option does
 * not change on purpose). The options meet each other in the last cell, all of them on at once.
 * The in-process store and sequencer only: the shared stores' drills ({@code ClusterScenarios})
 * run the defaults.
 */
class OptionMatrixTest {

  /** Paths: guarded {@code /m/*} (428), open {@code /o/*}, histories under {@code /h/}. */
  private static final String ALL = "/m/*, /o/*, /h/*";

  /**
   * One cell's options.
   *
   * @param rows whether the conformance rows hold as written (weak If-Match changes them on purpose)
   */
  record Cell(String name, UnaryOperator<GuardSettings.Builder> options, boolean rows) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Cell> cells() {
    return List.of(
        new Cell("defaults", b -> b, true),
        new Cell("authoritativePaths", b -> b.authoritativePaths(ALL), true),
        new Cell("weakIfMatchPaths", b -> b.weakIfMatchPaths(ALL), false),
        new Cell("compressionMode=weaken", b -> b.compressionMode(CompressionMode.WEAKEN), true),
        new Cell("compressionMode=identity", b -> b.compressionMode(CompressionMode.IDENTITY), true),
        new Cell("readPermits", b -> b.readPermits(true), true),
        new Cell("retryRecognition", b -> b.retryRecognition(true), true),
        new Cell("invalidationRules", b -> b.invalidationRules("/m/{id} -> /m/index; /h/{id} -> /h/index"), true),
        new Cell("keyQueryParameters", b -> b.keyQueryParameters("v"), true),
        new Cell("heuristicFreshness", b -> b.heuristicFreshness(true), true),
        new Cell("all", b -> b.authoritativePaths(ALL).readPermits(true).retryRecognition(true)
            .invalidationRules("/m/{id} -> /m/index").keyQueryParameters("v").heuristicFreshness(true), true));
  }

  static Stream<Arguments> matrix() {
    List<Arguments> all = new ArrayList<>();
    for (GuardedServer.Adapter adapter : GuardedServer.Adapter.values()) {
      for (Cell cell : cells()) {
        all.add(Arguments.of(adapter, cell));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("matrix")
  void everyPromiseHoldsWithTheOption(GuardedServer.Adapter adapter, Cell cell) throws Exception {
    GuardSettings settings = cell.options().apply(GuardSettings.builder().guardedPaths("/m/*")).build();
    try (GuardedServer server = GuardedServer.start(adapter, settings, new ResourceServlet())) {
      LostUpdateDrill.Result drill = LostUpdateDrill.run(server.uri("/m/counter"), 4, 6);
      assertThat(drill.successes()).as("%s %s: increments applied", adapter, cell).isEqualTo(24);

      LinearizableWritesTest.record(server, "/h/" + cell.name().replaceAll("\\W", "") + "-", 1, 4);

      if (cell.rows()) {
        try (ConformanceRunner runner = new ConformanceRunner(server.uri("/m/"), server.uri("/o/"), true,
            Duration.ofSeconds(30))) {
          List<CheckResult> results = runner.rows();
          List<CheckResult> failed = results.stream().filter(r -> r.verdict() == CheckResult.Verdict.FAIL).toList();
          assertThat(failed).as("%s %s: conformance rows", adapter, cell).isEmpty();
          assertThat(results).hasSizeGreaterThanOrEqualTo(60);
          assertThat(results.stream().filter(CheckResult::passed).count()).as("rows run, not skipped")
              .isGreaterThanOrEqualTo(results.size() - 5L);
        }
      }
      assertThat(Permits.awaitHeld(server.engine().sequencer(), 0, Duration.ofSeconds(10))).isZero();
    }
  }
}
