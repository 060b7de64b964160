package dev.etagguard.samples.clusterdemo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The command line. */
class ClusterDemoTest {

    @Test
    void arguments() {
        assertThat(ClusterDemo.parse()).isEqualTo(new ClusterDemo.Options("redis", Duration.ofSeconds(5)));
        assertThat(ClusterDemo.parse("--store=local", "--seconds=3"))
                .isEqualTo(new ClusterDemo.Options("local", Duration.ofSeconds(3)));
        assertThat(ClusterDemo.parse("--store=postgres").store()).isEqualTo("postgres");
        assertThatIllegalArgumentException().isThrownBy(() -> ClusterDemo.parse("--store=mongo"))
                .withMessageContaining("mongo").withMessageContaining("redis, postgres, local");
        assertThatIllegalArgumentException().isThrownBy(() -> ClusterDemo.parse("--seconds=0"))
                .withMessageContaining("--seconds");
        assertThatIllegalArgumentException().isThrownBy(() -> ClusterDemo.parse("--clients=3"))
                .withMessageContaining("--clients");
    }
}
