package dev.etagguard.samples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The samples' command lines. */
class ArgumentsTest {

    private static final List<String> NAMES = List.of("--port", "--guard", "--size", "--adapter");

    @Test
    void valuesAndDefaults() {
        Arguments a = Arguments.parse(NAMES, "--port=0", "--guard=off", "--size=12", "--size=13", "--adapter=b");
        assertThat(a.port(8080)).isZero();
        assertThat(a.onOff("--guard", true)).isFalse();
        assertThat(a.number("--size", 1)).as("the last value counts").isEqualTo(13);
        assertThat(a.oneOf("--adapter", List.of("a", "b"))).isEqualTo("b");

        Arguments none = Arguments.parse(NAMES);
        assertThat(none.port(8080)).isEqualTo(8080);
        assertThat(none.onOff("--guard", true)).isTrue();
        assertThat(none.number("--size", 1)).isEqualTo(1);
        assertThat(none.oneOf("--adapter", List.of("a", "b"))).as("the first choice").isEqualTo("a");
    }

    @Test
    void problemsNameTheArgument() {
        assertThatIllegalArgumentException().isThrownBy(() -> Arguments.parse(NAMES, "--color=red"))
                .withMessage("unknown argument '--color=red'");
        assertThatIllegalArgumentException().isThrownBy(() -> Arguments.parse(NAMES, "--guard"))
                .withMessage("expected --guard=VALUE, got '--guard'");
        assertThatIllegalArgumentException().isThrownBy(() -> Arguments.parse(NAMES, "--port=eighty").port(8080))
                .withMessage("--port needs a number >= 0, got 'eighty'");
        assertThatIllegalArgumentException().isThrownBy(() -> Arguments.parse(NAMES, "--port=65536").port(8080))
                .withMessage("--port must be 0-65535, got 65536");
        assertThatIllegalArgumentException().isThrownBy(() -> Arguments.parse(NAMES, "--port=-1").port(8080))
                .withMessage("--port needs a number >= 0, got '-1'");
        assertThatIllegalArgumentException().isThrownBy(() -> Arguments.parse(NAMES, "--size=-1").number("--size", 1))
                .withMessage("--size needs a number >= 0, got '-1'");
        assertThatIllegalArgumentException().isThrownBy(() -> Arguments.parse(NAMES, "--guard=maybe").onOff("--guard", true))
                .withMessage("--guard must be on or off, got 'maybe'");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Arguments.parse(NAMES, "--adapter=nope").oneOf("--adapter", List.of("a", "b")))
                .withMessage("unknown adapter 'nope' (expected one of a, b)");
    }
}
