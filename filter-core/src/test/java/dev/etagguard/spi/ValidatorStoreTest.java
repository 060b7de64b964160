package dev.etagguard.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;
import dev.etagguard.support.Builtins;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The text form shared stores compare, and the in-JVM compare-and-set every store inherits. */
class ValidatorStoreTest {

  @Test
  void theTextFormIsCanonicalAndParsesBack() {
    Validators full = Validators.of(EntityTag.strong("abc"), Instant.ofEpochSecond(1_767_225_600L, 123_456_789));
    assertThat(ValidatorStore.encode(full)).isEqualTo("1 1767225600.123456789 \"abc\"");
    assertThat(ValidatorStore.decode(ValidatorStore.encode(full))).isEqualTo(full);
    Validators weakOnly = Validators.of(EntityTag.weak("x/y"), null);
    assertThat(ValidatorStore.encode(weakOnly)).isEqualTo("1 - W/\"x/y\"");
    assertThat(ValidatorStore.decode(ValidatorStore.encode(weakOnly))).isEqualTo(weakOnly);
    assertThat(ValidatorStore.encode(Validators.ABSENT)).isEqualTo("0 - -");
    Validators weakDate = full.withWeakLastModified(true);
    assertThat(ValidatorStore.encode(weakDate)).isEqualTo("2 1767225600.123456789 \"abc\"");
    assertThat(ValidatorStore.decode(ValidatorStore.encode(weakDate))).isEqualTo(weakDate);
    assertThat(ValidatorStore.decode("0 - -")).isEqualTo(Validators.ABSENT);
    assertThat(ValidatorStore.decode(ValidatorStore.encode(Validators.NONE))).isEqualTo(Validators.NONE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "1 -", "2 - -", "1 12 \"a\"", "1 x.1 \"a\"", "1 - abc", "0 - \"a\""})
  void malformedTextIsRejected(String text) {
    assertThatThrownBy(() -> ValidatorStore.decode(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void compareAndSetReplacesOnlyWhatItExpects() {
    ValidatorStore store = Builtins.caffeineStore(100);
    ResourceKey key = new ResourceKey("/a");
    Validators v1 = Validators.of(EntityTag.strong("1"), null);
    Validators v2 = Validators.of(EntityTag.strong("2"), null);
    assertThat(store.compareAndSet(key, v1, v2)).as("nothing stored yet").isFalse();
    assertThat(store.compareAndSet(key, null, v1)).isTrue();
    assertThat(store.compareAndSet(key, null, v2)).as("no longer absent").isFalse();
    assertThat(store.compareAndSet(key, v2, v2)).isFalse();
    assertThat(store.get(key)).isEqualTo(v1);
    assertThat(store.compareAndSet(key, v1, v2)).isTrue();
    assertThat(store.get(key)).isEqualTo(v2);
    assertThat(store.compareAndSet(key, v2, null)).isTrue();
    assertThat(store.get(key)).isNull();
    assertThat(store.compareAndSet(key, null, null)).isTrue();
  }
}
