package dev.etagguard.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ByteRange#resolve}: one {@code bytes} range-spec (RFC 9110 14.1.2) against a length.
 * {@code first-last} is a 206 part, {@code 416} unsatisfiable (RFC 9110 15.5.17), {@code ignore}
 * a Range the server ignores (RFC 9110 14.2: several ranges, another unit, bad syntax).
 */
class ByteRangeTest {

  @ParameterizedTest(name = "[{index}] Range: {0} on {1} bytes -> {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
      # Range value          | length | outcome
      bytes=0-10             | 100    | 0-10
      bytes=0-10             | 11     | 0-10
      bytes=0-10             | 5      | 0-4
      bytes=0-0              | 1      | 0-0
      bytes=10-10            | 100    | 10-10
      bytes=5-               | 100    | 5-99
      bytes=99-              | 100    | 99-99
      bytes=0-               | 1      | 0-0
      bytes=-10              | 100    | 90-99
      bytes=-100             | 100    | 0-99
      bytes=-200             | 100    | 0-99
      bytes=-1               | 1      | 0-0
      bytes=0-999999999999999999 | 100 | 0-99
      BYTES=0-10             | 100    | 0-10
      Bytes=0-10             | 100    | 0-10
      ' bytes=0-10 '         | 100    | 0-10
      bytes=100-             | 100    | 416
      bytes=100-200          | 100    | 416
      bytes=1000-2000        | 100    | 416
      bytes=-0               | 100    | 416
      bytes=0-10             | 0      | 416
      bytes=0-               | 0      | 416
      bytes=-0               | 0      | 416
      bytes=-5               | 0      | ignore
      bytes=0-10,20-30       | 100    | ignore
      'bytes=0-10, 20-30'    | 100    | ignore
      'bytes=0-10,'          | 100    | ignore
      'bytes=,0-10'          | 100    | ignore
      items=0-10             | 100    | ignore
      bytes 0-10             | 100    | ignore
      bytes:0-10             | 100    | ignore
      0-10                   | 100    | ignore
      bytes=                 | 100    | ignore
      bytes=-                | 100    | ignore
      bytes=--5              | 100    | ignore
      bytes=5                | 100    | ignore
      bytes=abc              | 100    | ignore
      bytes=a-b              | 100    | ignore
      bytes=0x0-10           | 100    | ignore
      bytes=+0-10            | 100    | ignore
      bytes=10-5             | 100    | ignore
      bytes=1-2-3            | 100    | ignore
      bytes=99999999999999999999- | 100 | ignore
      bytes=-99999999999999999999 | 100 | ignore
      ''                     | 100    | ignore
      """)
  void resolves(String value, long length, String expected) {
    ByteRange.Resolution resolution = ByteRange.resolve(value, length);
    switch (expected) {
      case "416" -> assertThat(resolution).isInstanceOf(ByteRange.Unsatisfiable.class);
      case "ignore" -> assertThat(resolution).isInstanceOf(ByteRange.Ignore.class);
      default -> {
        String[] bounds = expected.split("-");
        assertThat(resolution).isEqualTo(
            new ByteRange.Partial(new ByteRange(Long.parseLong(bounds[0]), Long.parseLong(bounds[1]))));
      }
    }
  }

  @Test
  void noRangeIsIgnored() {
    assertThat(ByteRange.resolve(null, 100)).isInstanceOf(ByteRange.Ignore.class);
  }

  @Test
  void overlongValuesAreIgnored() {
    assertThat(ByteRange.resolve("bytes=" + "0".repeat(300) + "-10", 100)).isInstanceOf(ByteRange.Ignore.class);
  }

  @Test
  void contentRangeFields() {
    ByteRange range = new ByteRange(0, 10);
    assertThat(range.length()).isEqualTo(11);
    assertThat(range.contentRange(100)).isEqualTo("bytes 0-10/100");
    assertThat(ByteRange.unsatisfiedContentRange(100)).isEqualTo("bytes */100");
  }

  @Test
  void boundsAreChecked() {
    assertThatIllegalArgumentException().isThrownBy(() -> new ByteRange(-1, 5));
    assertThatIllegalArgumentException().isThrownBy(() -> new ByteRange(6, 5));
  }
}
