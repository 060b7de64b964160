package dev.etagguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.support.Builtins;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The body buffer with the digest cache (option {@code digestCacheSize}): an unchanged body gets
 * the cached tag without being hashed or copied; any other body gets exactly the tag of its own
 * bytes, whatever position the difference is at, and however the bytes arrive.
 */
class BodyBufferTest {

  private static final ResourceKey KEY = new ResourceKey("/articles/1");
  private static final int LIMIT = 1 << 20;

  /** SHA-256, counting the bytes it hashes. */
  private static final class CountingGenerator implements EntityTagGenerator {
    final AtomicLong hashed = new AtomicLong();

    @Override
    public Digest start() {
      Digest d = Builtins.sha256Generator().start();
      return new Digest() {
        @Override
        public void update(byte[] bytes, int offset, int length) {
          hashed.addAndGet(length);
          d.update(bytes, offset, length);
        }

        @Override
        public void update(ByteBuffer bytes) {
          hashed.addAndGet(bytes.remaining());
          d.update(bytes);
        }

        @Override
        public EntityTag finish() {
          return d.finish();
        }
      };
    }
  }

  private final CountingGenerator generator = new CountingGenerator();
  private final DigestCache cache = new DigestCache(8L << 20);

  private static byte[] body(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static EntityTag sha(byte[] b) {
    EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
    d.update(b, 0, b.length);
    return d.finish();
  }

  private BodyBuffer buffer(boolean hold) {
    return new BodyBuffer(LIMIT, hold, generator, cache, KEY);
  }

  /** Writes {@code b} in chunks of {@code chunk} bytes, as arrays or as buffers. */
  private static void write(BodyBuffer buffer, byte[] b, int chunk, boolean asByteBuffers) {
    for (int off = 0; off < b.length; off += chunk) {
      int len = Math.min(chunk, b.length - off);
      boolean appended = asByteBuffers
          ? buffer.append(ByteBuffer.wrap(b, off, len).slice())
          : buffer.append(b, off, len);
      assertThat(appended).isTrue();
    }
  }

  private static byte[] held(BodyBuffer buffer) {
    return Arrays.copyOf(buffer.array(), (int) buffer.count());
  }

  @Test
  void anUnchangedBodyGetsTheCachedTagWithoutHashingOrCopying() {
    byte[] v1 = body(64 * 1024, 1);
    BodyBuffer first = buffer(true);
    write(first, v1, 8192, false);
    assertThat(first.finishDigest()).isEqualTo(sha(v1));
    assertThat(generator.hashed.get()).isEqualTo(v1.length);

    byte[] same = v1.clone();
    BodyBuffer second = buffer(true);
    second.expectLength(same.length);
    write(second, same, 8192, false);
    assertThat(second.finishDigest()).isEqualTo(sha(v1));
    assertThat(generator.hashed.get()).as("bytes hashed in all").isEqualTo(v1.length);
    assertThat(held(second)).isEqualTo(v1);
    assertThat(second.array()).as("the cached array, not a copy").isSameAs(first.array());
    assertThat(second.slice(0, second.count()).isReadOnly()).isTrue();
  }

  @ParameterizedTest(name = "[{index}] difference at byte {0}")
  @ValueSource(ints = {0, 1, 8191, 8192, 30_000, 65_535})
  void aChangedBodyGetsTheTagOfItsOwnBytes(int at) {
    byte[] v1 = body(64 * 1024, 2);
    for (boolean byteBuffers : new boolean[] {false, true}) {
      BodyBuffer first = buffer(true);
      write(first, v1, 8192, byteBuffers);
      first.finishDigest();

      byte[] v2 = v1.clone();
      v2[at] ^= 1;
      BodyBuffer second = buffer(true);
      write(second, v2, 8192, byteBuffers);
      assertThat(second.finishDigest()).isEqualTo(sha(v2)).isNotEqualTo(sha(v1));
      assertThat(held(second)).isEqualTo(v2);

      // The changed body is now the cached one; the original comes back with its own tag.
      BodyBuffer third = buffer(true);
      write(third, v1, 4096, !byteBuffers);
      assertThat(third.finishDigest()).isEqualTo(sha(v1));
      assertThat(held(third)).isEqualTo(v1);
    }
  }

  @Test
  void longerShorterAndPrefixBodiesAreNotTheCachedOne() {
    byte[] v1 = body(10_000, 3);
    BodyBuffer first = buffer(true);
    write(first, v1, 1000, false);
    first.finishDigest();

    byte[] longer = Arrays.copyOf(v1, 10_001);
    BodyBuffer b = buffer(true);
    write(b, longer, 1000, false);
    assertThat(b.finishDigest()).isEqualTo(sha(longer));
    assertThat(held(b)).isEqualTo(longer);

    BodyBuffer again = buffer(true);
    write(again, v1, 1000, false);
    assertThat(again.finishDigest()).isEqualTo(sha(v1));

    byte[] prefix = Arrays.copyOf(v1, 4000);
    BodyBuffer p = buffer(true);
    write(p, prefix, 1000, false);
    assertThat(p.finishDigest()).isEqualTo(sha(prefix));
    assertThat(held(p)).isEqualTo(prefix);

    BodyBuffer empty = buffer(true);
    assertThat(empty.finishDigest()).isEqualTo(sha(new byte[0]));
  }

  @Test
  void aDeclaredLengthOtherThanTheCachedBodysStopsComparing() {
    byte[] v1 = body(5000, 4);
    BodyBuffer first = buffer(true);
    write(first, v1, 5000, false);
    first.finishDigest();

    byte[] v2 = Arrays.copyOf(v1, 6000);
    BodyBuffer second = buffer(true);
    second.expectLength(6000);
    long before = generator.hashed.get();
    write(second, v2, 1000, false);
    assertThat(generator.hashed.get() - before).as("hashed as it arrived").isEqualTo(6000);
    assertThat(second.finishDigest()).isEqualTo(sha(v2));
    assertThat(held(second)).isEqualTo(v2);
  }

  @Test
  void withoutHoldingItComparesAndDigestsButKeepsNothing() {
    byte[] v1 = body(20_000, 5);
    BodyBuffer first = buffer(true);
    write(first, v1, 3000, false);
    first.finishDigest();

    BodyBuffer head = buffer(false);
    long before = generator.hashed.get();
    write(head, v1, 3000, true);
    assertThat(head.finishDigest()).isEqualTo(sha(v1));
    assertThat(generator.hashed.get()).isEqualTo(before);
    assertThat(head.array()).isEmpty();

    byte[] v2 = v1.clone();
    v2[12_345]++;
    BodyBuffer changed = buffer(false);
    write(changed, v2, 3000, false);
    assertThat(changed.finishDigest()).isEqualTo(sha(v2));
    assertThat(changed.array()).isEmpty();
    BodyBuffer stillV1 = buffer(true);
    write(stillV1, v1, 3000, false);
    assertThat(stillV1.finishDigest()).as("a body not held is not cached").isEqualTo(sha(v1));
    assertThat(stillV1.array()).isSameAs(first.array());
  }

  @Test
  void aResetStartsOverAndTheCachedArrayIsNeverWritten() {
    byte[] v1 = body(3000, 6);
    BodyBuffer first = buffer(true);
    write(first, v1, 3000, false);
    first.finishDigest();
    byte[] cached = first.array();

    BodyBuffer b = buffer(true);
    write(b, Arrays.copyOf(v1, 1500), 500, false);
    b.reset();
    byte[] v2 = body(3000, 7);
    write(b, v2, 700, false);
    assertThat(b.finishDigest()).isEqualTo(sha(v2));
    assertThat(held(b)).isEqualTo(v2);

    // Bytes appended after the digest (a misbehaving handler) never reach the cached array.
    BodyBuffer late = buffer(true);
    write(late, v2, 3000, false);
    late.finishDigest();
    byte[] lateCached = late.array();
    late.append(new byte[] {1, 2, 3}, 0, 3);
    assertThat(Arrays.copyOf(lateCached, 3000)).isEqualTo(v2);
    assertThat(Arrays.copyOf(cached, 3000)).isEqualTo(v1);
  }

  @Test
  void abandoningWhileEqualKeepsTheHeldPrefixForStreaming() {
    byte[] v1 = body(4000, 8);
    BodyBuffer first = buffer(true);
    write(first, v1, 4000, false);
    first.finishDigest();

    BodyBuffer b = buffer(true);
    write(b, Arrays.copyOf(v1, 2500), 2500, false);
    b.abandonDigest();
    assertThat(b.finishDigest()).isNull();
    assertThat(held(b)).isEqualTo(Arrays.copyOf(v1, 2500));
    assertThat(b.append(new byte[] {9}, 0, 1)).isTrue();
    assertThat(held(b)[2500]).isEqualTo((byte) 9);
    assertThat(Arrays.copyOf(first.array(), 4000)).as("the cached body is untouched").isEqualTo(v1);
  }

  @Test
  void aCachedBodyLargerThanTheLimitIsNotComparedWith() {
    byte[] v1 = body(3000, 9);
    BodyBuffer first = new BodyBuffer(4000, true, generator, cache, KEY);
    write(first, v1, 3000, false);
    first.finishDigest();
    BodyBuffer tight = new BodyBuffer(2000, true, generator, cache, KEY);
    long before = generator.hashed.get();
    assertThat(tight.append(v1, 0, 2000)).isTrue();
    assertThat(generator.hashed.get() - before).as("hashed, not compared").isEqualTo(2000);
    assertThat(tight.append(v1, 2000, 1000)).isFalse();
  }

  @Test
  void sizeZeroCachesNothing() {
    DigestCache off = new DigestCache(0);
    byte[] v1 = body(2000, 10);
    for (int i = 0; i < 3; i++) {
      BodyBuffer b = new BodyBuffer(LIMIT, true, generator, off, KEY);
      write(b, v1, 500, false);
      assertThat(b.finishDigest()).isEqualTo(sha(v1));
    }
    assertThat(generator.hashed.get()).isEqualTo(3L * v1.length);
  }
}
