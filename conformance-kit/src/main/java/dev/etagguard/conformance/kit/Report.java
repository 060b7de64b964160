package dev.etagguard.conformance.kit;

import java.io.PrintStream;
import java.util.List;

import dev.etagguard.conformance.kit.CheckResult.Verdict;

/**
 * The kit's table: a header naming the target, one line per check (with its reason on the next
 * line when it failed or was skipped), and a summary.
 *
 * @since 0.1
 */
public final class Report {

  private static final String FORMAT = "%-5s %-6s %-12s %-7s %s%n";

  private Report() {
  }

  /** The kit's version, from the jar's manifest, or {@code dev} when run from classes. */
  public static String version() {
    String v = Report.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Prints the table's header: what is checked and how. */
  public static void header(PrintStream out, ConformanceRunner runner) {
    out.println("ETag Guard conformance kit " + version());
    out.println("collection: " + runner.collection() + (runner.policy()
        ? "  (writes must be conditional: 428 policy rows run here)"
        : "  (--no-policy: writes need no precondition)"));
    if (runner.open() != null) {
      out.println("open:       " + runner.open() + "  (rows that write without a precondition)");
    }
    out.println();
    out.printf(FORMAT, "ID", "RESULT", "EXPECTED", "GOT", "CHECK");
  }

  /** Prints one check. */
  public static void line(PrintStream out, CheckResult r) {
    out.printf(FORMAT, r.id(), r.verdict(), r.expected(), r.got(), abbreviate(r.check(), 100));
    if (!r.detail().isEmpty()) {
      out.println("      " + (r.verdict() == Verdict.PASS ? "" : r.verdict() == Verdict.FAIL ? "why: " : "skipped: ")
          + r.detail());
    }
  }

  /** Prints the counts and the overall result. */
  public static void summary(PrintStream out, List<CheckResult> results) {
    long passed = results.stream().filter(r -> r.verdict() == Verdict.PASS).count();
    long failed = results.stream().filter(r -> r.verdict() == Verdict.FAIL).count();
    long skipped = results.stream().filter(r -> r.verdict() == Verdict.SKIP).count();
    out.println();
    out.println((failed == 0 ? "PASS" : "FAIL") + ": " + results.size() + " checks, " + passed + " passed, "
        + failed + " failed, " + skipped + " skipped");
  }

  private static String abbreviate(String s, int max) {
    String clean = s.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > max ? clean.substring(0, max - 3) + "..." : clean;
  }
}
