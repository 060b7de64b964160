package dev.etagguard.conformance.kit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/**
 * The command line, run in-process through {@link ConformanceKit#run}: usage errors, an unreachable
 * target, and an UNGUARDED server (the JDK's HTTP server with a plain store), against which the kit
 * must report failures and exit non-zero.
 */
class ConformanceKitTest {

  /** What one run printed and returned. */
  record Run(int exit, String output) {
  }

  static Run kit(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit = ConformanceKit.run(args, out);
    String output = bytes.toString(StandardCharsets.UTF_8);
    System.out.println("$ java -jar etag-guard-conformance.jar " + String.join(" ", args) + "\n" + output
        + "exit status " + exit + "\n");
    return new Run(exit, output);
  }

  @Test
  void helpPrintsUsageAndSucceeds() {
    Run run = kit("--help");
    assertThat(run.exit).isZero();
    assertThat(run.output).contains("usage: java -jar etag-guard-conformance.jar COLLECTION_URL", "--open=URL",
        "--no-policy", "--clients=N", "--increments=N", "--timeout=SECONDS", "--checks=LIST");
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertThat(kit().exit).isEqualTo(ConformanceKit.USAGE);
    assertThat(kit("ftp://example.org/x/").output).contains("must be an http:// or https:// URL");
    assertThat(kit("http://127.0.0.1:1/a/", "--clients=0").output).contains("--clients must be 1-256");
    assertThat(kit("http://127.0.0.1:1/a/", "--checks=rows,dance").output).contains("unknown check 'dance'");
    assertThat(kit("http://127.0.0.1:1/a/", "--frobnicate").exit).isEqualTo(ConformanceKit.USAGE);
    assertThat(kit("http://127.0.0.1:1/a/", "http://127.0.0.1:1/b/").output).contains("one collection URL only");
  }

  @Test
  void unreachableTargetExitsWithTwo() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Run run = kit("http://127.0.0.1:" + port + "/articles/");
    assertThat(run.exit).isEqualTo(ConformanceKit.USAGE);
    assertThat(run.output).contains("cannot reach http://127.0.0.1:" + port + "/articles/");
  }

  @Test
  void anUnguardedServerWithoutValidatorsFails() throws Exception {
    try (PlainStore store = new PlainStore(false)) {
      Run run = kit(store.base() + "items/");
      assertThat(run.exit).isEqualTo(ConformanceKit.FAILED);
      assertThat(run.output)
          .contains("FAIL: ")
          .containsPattern("(?m)^A07 +FAIL .*\\n +why: the fixture needs a strong ETag; a GET gave none")
          .containsPattern("(?m)^F09 +FAIL +412 +201 ")
          .containsPattern("(?m)^LU +FAIL .*\\n +why: .*reads carried no ETag")
          .containsPattern("(?m)^X01 +FAIL +4xx +204 .*\\n +why: a malformed precondition authorized the write; "
              + "the resource changed");
    }
  }

  @Test
  void anUnguardedServerWithValidatorsFails() throws Exception {
    // It has strong ETags and Last-Modified, so every fixture is set up, but it checks no precondition.
    try (PlainStore store = new PlainStore(true)) {
      Run run = kit(store.base() + "items/", "--no-policy");
      assertThat(run.exit).isEqualTo(ConformanceKit.FAILED);
      assertThat(run.output)
          .containsPattern("(?m)^A07 +FAIL +412 +200 ")
          .containsPattern("(?m)^C08 +FAIL +304 +200 ")
          .containsPattern("(?m)^P01 +SKIP .*\\n +skipped: a 428-policy row")
          .containsPattern("(?m)^X05 +FAIL +4xx +204 ")
          .containsPattern("(?m)^G01 +PASS ");
    }
  }

  @Test
  void aRowTheTargetDoesNotOfferIsSkippedNeverPassed() throws Exception {
    ConformanceCase c12 = ConformanceCases.all().stream().filter(c -> c.id().equals("C12")).findFirst().orElseThrow();
    assertThat(c12.method()).isEqualTo("POST");
    try (PlainStore store = new PlainStore(true, false);
        ConformanceRunner runner = new ConformanceRunner(store.base().resolve("items/"), null, false,
            java.time.Duration.ofSeconds(30))) {
      CheckResult r = runner.row(c12);
      assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.SKIP);
      assertThat(r.got()).isEqualTo("405");
      assertThat(r.detail()).contains("does not offer POST on a single resource", "Allow: GET, HEAD, PUT, DELETE");
    }
  }
}
