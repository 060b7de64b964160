package dev.etagguard.conformance.kit;

import java.util.Objects;

/**
 * The result of one check of the kit: a conformance row, the lost-update check or one hostile header.
 * Immutable.
 *
 * @param id the row id ({@code A07}) or the check's id ({@code LU}, {@code X01})
 * @param verdict pass, fail or skip
 * @param expected what was expected, e.g. {@code 200|204}
 * @param got what the target answered, e.g. {@code 412}, or {@code -} when nothing was sent
 * @param check what was sent or checked, e.g. {@code GET If-Match: {etag}}
 * @param detail why it failed or was skipped (never empty then), or a note
 * @since 0.1
 */
public record CheckResult(String id, Verdict verdict, String expected, String got, String check, String detail) {

  /** What a check concluded. */
  public enum Verdict {
    /** The target behaved as required. */
    PASS,
    /** The target did not behave as required. */
    FAIL,
    /** Not run against this target, with a reason (never counts as a pass). */
    SKIP
  }

  /** Checks the components. */
  public CheckResult {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(verdict, "verdict");
    if (verdict != Verdict.PASS && detail.isBlank()) {
      throw new IllegalArgumentException(verdict + " of " + id + " needs a reason");
    }
  }

  /** Whether the verdict is {@link Verdict#PASS}. */
  public boolean passed() {
    return verdict == Verdict.PASS;
  }

  @Override
  public String toString() {
    return id + " " + verdict + " expected " + expected + ", got " + got + ": " + check
        + (detail.isEmpty() ? "" : " (" + detail + ")");
  }
}
