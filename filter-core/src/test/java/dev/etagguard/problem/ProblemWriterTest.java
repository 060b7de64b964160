package dev.etagguard.problem;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@link ProblemWriter}: RFC 9457 problem details as JSON that any parser reads back. */
class ProblemWriterTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void writesTheMembersOfAProblem() {
    Problem problem = Problem.of("precondition-failed", "Precondition Failed", 412,
        "If-Match does not match the current entity tag.", "/articles/12");
    JsonNode json = JSON.readTree(ProblemWriter.toBytes(problem));
    assertThat(json.isObject()).isTrue();
    assertThat(json.propertyNames()).containsExactly("type", "title", "status", "detail", "key");
    assertThat(json.get("type").asString()).isEqualTo(Problem.TYPE_BASE + "precondition-failed");
    assertThat(json.get("title").asString()).isEqualTo("Precondition Failed");
    assertThat(json.get("status").isInt()).isTrue();
    assertThat(json.get("status").asInt()).isEqualTo(412);
    assertThat(json.get("detail").asString()).isEqualTo("If-Match does not match the current entity tag.");
    assertThat(json.get("key").asString()).isEqualTo("/articles/12");
  }

  @Test
  void leavesOutAnUnknownKey() {
    JsonNode json = JSON.readTree(ProblemWriter.toBytes(new Problem("about:blank", "t", 428, "d", null)));
    assertThat(json.propertyNames()).containsExactly("type", "title", "status", "detail");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "a \"quoted\" key", "back\\slash", "line\nbreak\r\n", "tab\there", "nul\u0000and\u001fUS", "del\u007f",
      "</script><script>alert(1)</script>", "\u00e9\u20ac\ud83d\ude00", "\u2028\u2029", "{\"key\":\"x\"}"})
  void escapesWhatClientsSent(String hostile) {
    Problem problem = new Problem(Problem.TYPE_BASE + "bad-request", "Bad Request", 400, "detail " + hostile, hostile);
    byte[] bytes = ProblemWriter.toBytes(problem);
    String text = new String(bytes, StandardCharsets.UTF_8);
    assertThat(text.chars().filter(c -> c < 0x20)).as("no raw control characters in %s", text).isEmpty();
    JsonNode json = JSON.readTree(bytes);
    assertThat(json.get("detail").asString()).isEqualTo("detail " + hostile);
    assertThat(json.get("key").asString()).isEqualTo(hostile);
    assertThat(json.propertyNames()).hasSize(5);
  }

  @Test
  void writesToAStreamAndLeavesItOpen() {
    ByteArrayOutputStream out = new ByteArrayOutputStream() {
      @Override
      public void close() {
        throw new AssertionError("the writer closed the response stream");
      }
    };
    Problem problem = Problem.of("x", "X", 503, "d", "k");
    ProblemWriter.write(problem, out);
    out.write('!');
    assertThat(out.toByteArray()).startsWith(ProblemWriter.toBytes(problem)).endsWith((byte) '!');
  }
}
