package dev.etagguard.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Builtins#sha256Generator()}: SHA-256 truncated to 192 bits, base64url, strong. */
class Sha256GeneratorTest {

  /** Known SHA-256 vectors (FIPS 180-2), first 24 bytes in base64url. */
  @ParameterizedTest(name = "[{index}] <{0}>")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      ``    | 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NM
      abc   | ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qc
      """)
  void knownVectors(String body, String expected) {
    EntityTagGenerator.Digest digest = Builtins.sha256Generator().start();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    digest.update(bytes, 0, bytes.length);
    assertThat(digest.finish()).isEqualTo(EntityTag.strong(expected));
  }

  @Test
  void incrementalFeedingGivesTheSameTag() {
    byte[] body = "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8);
    EntityTagGenerator.Digest whole = Builtins.sha256Generator().start();
    whole.update(body, 0, body.length);
    EntityTagGenerator.Digest parts = Builtins.sha256Generator().start();
    parts.update(body, 0, 10);
    parts.update(ByteBuffer.wrap(body, 10, 20));
    parts.update(body, 30, body.length - 30);
    EntityTag tag = whole.finish();
    assertThat(parts.finish()).isEqualTo(tag);
    assertThat(tag.weak()).isFalse();
    assertThat(tag.opaque()).hasSize(32).matches("[A-Za-z0-9_-]+");
  }

  @Test
  void differentBodiesGetDifferentTags() {
    EntityTagGenerator.Digest a = Builtins.sha256Generator().start();
    a.update(new byte[] {1}, 0, 1);
    EntityTagGenerator.Digest b = Builtins.sha256Generator().start();
    b.update(new byte[] {2}, 0, 1);
    assertThat(a.finish()).isNotEqualTo(b.finish());
  }
}
