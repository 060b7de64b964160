package dev.etagguard.samples.racedemo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A short run of the demo: it runs the three phases and prints its table; the guard loses nothing. */
class RaceDemoTest {

    @Test
    void aShortRunPrintsTheTableAndTheGuardLosesNothing() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        List<RaceDemo.Row> rows;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            rows = RaceDemo.run(new RaceDemo.Options(Duration.ofSeconds(1), 6, 2), out, false);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertThat(rows).extracting(RaceDemo.Row::mode)
                .containsExactly("guard off", "guard on", "guard on + readPermits");
        assertThat(rows).allSatisfy(r -> assertThat(r.attempted()).isPositive());
        assertThat(rows.subList(1, 3)).allSatisfy(r -> {
            assertThat(r.succeeded()).isPositive();
            assertThat(r.lost()).as("writes lost with %s", r.mode()).isZero();
        });
        assertThat(rows.get(0).guard().lostUpdatesPrevented()).as("the guard off counts nothing").isZero();
        assertThat(rows.get(0).guard().permitWaits()).isZero();
        assertThat(rows.subList(1, 3)).allSatisfy(r -> {
            // Every write with a precondition takes a permit (a 428 is answered before); the clients'
            // 412s are the guard's lost updates prevented.
            assertThat(r.guard().permitWaits()).as("permits with %s", r.mode()).isPositive();
            assertThat(r.guard().lostUpdatesPrevented()).as("412s with %s", r.mode())
                    .isLessThanOrEqualTo(r.retries()).isPositive();
            assertThat(r.guard().bytesNotSent()).isGreaterThanOrEqualTo(r.guard().notModified() > 0 ? 1 : 0);
        });
        assertThat(printed).contains("lost updates", "prevented", "bytes not sent", "retries", "recognized",
                "permit waits", "max queue");
        assertThat(printed).contains("writes", "succeeded", "lost", "412/428 retries", "writes/s", "guard on + readPermits")
                .contains("  guard off ");
    }

    @Test
    void arguments() {
        assertThat(RaceDemo.parse("--seconds=2", "--clients=3", "--objects=1"))
                .isEqualTo(new RaceDemo.Options(Duration.ofSeconds(2), 3, 1));
        assertThat(RaceDemo.parse()).isEqualTo(RaceDemo.Options.DEFAULT);
        assertThatIllegalArgumentException().isThrownBy(() -> RaceDemo.parse("--seconds=x"));
        assertThatIllegalArgumentException().isThrownBy(() -> RaceDemo.parse("--color=2"));
        assertThatIllegalArgumentException().isThrownBy(() -> RaceDemo.parse("--clients=0"));
    }
}
