package dev.etagguard.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import dev.etagguard.conformance.kit.CheckResult;
import dev.etagguard.conformance.kit.ConformanceCase;
import dev.etagguard.conformance.kit.ConformanceCases;
import dev.etagguard.conformance.kit.ConformanceRunner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared conformance cases (fixtures RS and RN) over HTTP, against any server with ETag Guard
 * in front of a resource handler, one JUnit test per row. Each adapter's tests extend it and say
 * where the guarded (428 policy on) and unguarded resources live. The checks themselves are the
 * conformance kit's ({@link ConformanceRunner}, module {@code conformance-kit}): the project's
 * tests and {@code java -jar etag-guard-conformance.jar} run one implementation. Policy rows run on
 * the guarded area, the others on the unguarded one; a row whose method the application does not
 * offer (405) is skipped with that reason, never passed. The resources the rows create are left to
 * the test server, which is discarded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HttpConformanceSuite {

  private ConformanceRunner runner;

  /** The server's base URI, without a trailing slash. */
  protected abstract URI base();

  /** The path prefix of resources whose writes must be conditional, e.g. {@code /articles/}. */
  protected abstract String guardedPrefix();

  /** The path prefix of resources without the 428 policy, e.g. {@code /drafts/}. */
  protected abstract String unguardedPrefix();

  /** The rows this suite runs over HTTP. */
  static Stream<ConformanceCase> httpRows() {
    return ConformanceCases.httpRows().stream();
  }

  private ConformanceRunner runner() {
    if (runner == null) {
      runner = new ConformanceRunner(URI.create(base() + guardedPrefix()), URI.create(base() + unguardedPrefix()),
          true, Duration.ofSeconds(30));
    }
    return runner;
  }

  @Test
  void everyRsAndRnRowIsRunOrSkippedWithAReason() throws Exception {
    List<CheckResult> results = runner().rows();
    assertThat(results).hasSizeGreaterThanOrEqualTo(60);
    List<CheckResult> skipped = results.stream().filter(r -> r.verdict() == CheckResult.Verdict.SKIP).toList();
    // At most the rows whose answer only a handler that implements the method could give.
    assertThat(skipped).as("skipped rows").hasSizeLessThanOrEqualTo(5)
        .allSatisfy(r -> assertThat(r.detail()).contains("does not offer"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("httpRows")
  void row(ConformanceCase c) throws Exception {
    CheckResult r = runner().row(c);
    assumeTrue(r.verdict() != CheckResult.Verdict.SKIP, () -> c.id() + " skipped: " + r.detail());
    assertThat(r.verdict()).as("%s", r).isEqualTo(CheckResult.Verdict.PASS);
  }
}
