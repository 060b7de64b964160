package dev.etagguard.conformance.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The kit's own JSON reader. */
class JsonTest {

  @Test
  @SuppressWarnings("unchecked")
  void readsTheValuesTheCasesUse() {
    Map<String, Object> v = (Map<String, Object>) Json.parse(
        " {\"a\": [1, 2.5, -3e2], \"b\": \"x\\\"\\u00e9\\t\", \"c\": true, \"d\": null, \"e\": {}} ");
    assertThat(v.get("a")).isEqualTo(List.of(1L, 2.5, -300.0));
    assertThat(v.get("b")).isEqualTo("x\"\u00e9\t");
    assertThat(v.get("c")).isEqualTo(true);
    assertThat(v).containsKey("d");
    assertThat(v.get("d")).isNull();
    assertThat(v.get("e")).isEqualTo(Map.of());
  }

  @Test
  void keepsMemberOrder() {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse("{\"z\":1,\"a\":2,\"m\":3}");
    assertThat(m.keySet()).containsExactly("z", "a", "m");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "[1,]", "{\"a\" 1}", "\"open", "tru", "[1] 2", "\"\\x\"", "{\"a\":01x}"})
  void rejectsWhatIsNotJson(String text) {
    assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset");
  }
}
