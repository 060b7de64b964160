package dev.etagguard.samples.clusterdemo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.testing.JarProcess;
import java.io.IOException;
import java.net.Socket;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code java -jar target/etag-guard-cluster-demo.jar} as a subprocess (needs the packaged jar: run by
 * failsafe), for each store, 3 seconds of race each. The servers are unpacked into
 * {@code target/cache} (the pom sets {@code XDG_CACHE_HOME}).
 */
class ClusterDemoIT {

    /** The very last line of stdout, for scripts. */
    private static final Pattern LAST_LINE =
            Pattern.compile("(redis|postgres|local): ([0-9]+) acknowledged, ([0-9]+) lost");

    /** The line on stderr once the PostgreSQL is up. */
    private static final Pattern STARTED_LINE = Pattern.compile("PostgreSQL \\S+ on 127\\.0\\.0\\.1:([0-9]+) \\(");

    /** The line on stdout that names the shared server and its port. */
    private static final Pattern SERVER_LINE =
            Pattern.compile("guard state: (Redis|PostgreSQL) \\S+ on 127\\.0\\.0\\.1:([0-9]+) .*");

    /**
     * Exit code 0, the table, and the last line. No acknowledged write is lost with a shared store.
     * Each instance guarding alone loses some, reliably: four clients per document, every request
     * to the next instance, and each instance's in-process store keeps the ETag it last saw, so a
     * write with a stale If-Match passes wherever the newer write went through another instance;
     * in 3 s even a loaded machine runs hundreds of cycles (runs here lost about half of them).
     */
    @ParameterizedTest
    @ValueSource(strings = {"redis", "postgres", "local"})
    void aShortRunPrintsTheTableAndItsCountsLast(String store) throws Exception {
        try (JarProcess demo = JarProcess.start(store, "--store=" + store, "--seconds=3")) {
            assertThat(demo.awaitExit()).as("exit code; stderr:%n%s", demo.stderr()).isZero();
            List<String> out = demo.stdout();
            assertThat(out).as("stdout").anyMatch(line -> line.matches(" +writes +acknowledged +lost +412 +409 +503 "
                    + "+write p50 +write p99"));
            assertThat(out).anyMatch(line -> line.matches(store + " +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ "
                    + "+[0-9.]+ ms +[0-9.]+ ms"));
            assertThat(demo.stderr()).as("the progress line").contains("  " + store + " ", " s  writes ");

            Matcher last = LAST_LINE.matcher(out.get(out.size() - 1));
            assertThat(last.matches()).as("last line: %s", out.get(out.size() - 1)).isTrue();
            assertThat(last.group(1)).isEqualTo(store);
            long acknowledged = Long.parseLong(last.group(2));
            long lost = Long.parseLong(last.group(3));
            assertThat(acknowledged).isPositive();
            if (store.equals("local")) {
                assertThat(lost).as("lost guarding alone").isPositive();
            } else {
                assertThat(lost).as("lost with a shared store").isZero();
                assertStopped(out);
            }
        }
    }

    /**
     * SIGTERM (as Ctrl-C, which does not reach a PostgreSQL that pg_ctl detached from the terminal)
     * once the server is up, while the instances start: the shutdown hook stops it.
     */
    @Test
    void stoppedWhileStartingStopsItsServer() throws Exception {
        try (JarProcess demo = JarProcess.start("sigterm", "--store=postgres", "--seconds=60")) {
            long deadline = System.nanoTime() + JarProcess.BOUND.toNanos();
            Matcher started = STARTED_LINE.matcher("");
            while (!started.reset(demo.stderr()).find()) {
                assertThat(System.nanoTime()).as("the server's line; stderr:%n%s", demo.stderr()).isLessThan(deadline);
                Thread.sleep(20);
            }
            int port = Integer.parseInt(started.group(1));
            assertThat(listening(port)).as("PostgreSQL on %d", port).isTrue();
            demo.stop();
            assertThat(listening(port)).as("PostgreSQL on %d after SIGTERM; stderr:%n%s", port, demo.stderr())
                    .isFalse();
            assertThat(demo.stdout()).as("no table").isEmpty();
        }
    }

    @Test
    void helpPrintsTheUsage() throws Exception {
        try (JarProcess demo = JarProcess.start("help", "--help")) {
            assertThat(demo.awaitExit()).isZero();
            assertThat(demo.stdout()).isEmpty();
            assertThat(demo.stderr())
                    .contains("usage: java -jar etag-guard-cluster-demo.jar", "--store=redis|postgres|local");
        }
    }

    @Test
    void unknownStoreExitsWith2() throws Exception {
        JarProcess.assertRefused("--store=mongo", "mongo");
    }

    /** The server named on stdout no longer listens. */
    private static void assertStopped(List<String> out) {
        Matcher server = out.stream().map(SERVER_LINE::matcher).filter(Matcher::matches).findFirst().orElseThrow();
        int port = Integer.parseInt(server.group(2));
        assertThat(listening(port)).as("%s on %d after exit", server.group(1), port).isFalse();
    }

    private static boolean listening(int port) {
        try {
            new Socket("127.0.0.1", port).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
