package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.delete;
import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.http.HttpDates;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Guarantee 8: Last-Modified has one-second resolution, so two versions written within one second
 * share a date. A client holding the older version's date must not pass If-Unmodified-Since (its
 * write would overwrite the newer version), nor get 304 for If-Modified-Since, nor a range of the
 * new version through If-Range. The engine's clock is set by the test, so "the same second" is
 * exact, not a race.
 */
class SameSecondWritesTest {

  private static final Instant T = Instant.parse("2026-11-22T10:00:00Z");

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    final AtomicReference<Instant> now = new AtomicReference<>(T);

    void set(Instant instant) {
      now.set(instant);
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private static GuardedServer start(GuardedServer.Adapter adapter, TestClock clock) throws Exception {
    GuardEngine engine = GuardEngine.builder(GuardSettings.builder().guardedPaths("/docs/*").build()).clock(clock).build();
    return GuardedServer.start(adapter, engine, new ResourceServlet(), Map.of());
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void olderVersionOfTheSameSecondFailsIfUnmodifiedSince(GuardedServer.Adapter adapter) throws Exception {
    TestClock clock = new TestClock();
    try (GuardedServer server = start(adapter, clock)) {
      URI doc = server.uri("/docs/a");
      clock.set(T.plusMillis(100));
      assertThat(put(doc, "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> v1 = get(doc);
      String date = header(v1, "Last-Modified");
      assertThat(HttpDates.parse(date)).isEqualTo(T);

      clock.set(T.plusMillis(500));
      assertThat(put(doc, "v2", "If-Match", header(v1, "ETag")).statusCode()).isBetween(200, 204);
      HttpResponse<byte[]> v2 = get(doc);
      assertThat(header(v2, "Last-Modified")).as("both versions carry the same second").isEqualTo(date);

      clock.set(T.plusMillis(800));
      HttpResponse<byte[]> stale = put(doc, "v1 edited", "If-Unmodified-Since", date);
      assertThat(stale.statusCode()).as("the holder of v1's date may be stale").isEqualTo(412);
      assertThat(header(stale, "Content-Type")).startsWith("application/problem+json");
      assertThat(text(get(doc))).as("v2 stands").isEqualTo("v2");
      assertThat(get(doc, "If-Modified-Since", date).statusCode()).as("a cached v1 is not fresh").isEqualTo(200);
      HttpResponse<byte[]> ranged = get(doc, "Range", "bytes=0-0", "If-Range", date);
      assertThat(ranged.statusCode()).as("no part of v2 for a v1 date").isEqualTo(200);
      assertThat(text(ranged)).isEqualTo("v2");

      // Once the second is over, v2's date moves to the next second, which is v2's alone.
      clock.set(T.plusMillis(1300));
      HttpResponse<byte[]> later = get(doc);
      String ownDate = header(later, "Last-Modified");
      assertThat(HttpDates.parse(ownDate)).isEqualTo(T.plusSeconds(1));
      assertThat(header(later, "ETag")).isEqualTo(header(v2, "ETag"));
      assertThat(get(doc, "If-Modified-Since", ownDate).statusCode()).isEqualTo(304);
      assertThat(put(doc, "v1 edited", "If-Unmodified-Since", date).statusCode()).as("still stale").isEqualTo(412);
      assertThat(put(doc, "v3", "If-Unmodified-Since", ownDate).statusCode()).isBetween(200, 204);
      assertThat(text(get(doc))).isEqualTo("v3");
      assertThat(server.engine().sequencer().heldPermits()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void deleteAndRecreateInOneSecondFailsTheOldDate(GuardedServer.Adapter adapter) throws Exception {
    TestClock clock = new TestClock();
    try (GuardedServer server = start(adapter, clock)) {
      URI doc = server.uri("/docs/b");
      clock.set(T.plusMillis(100));
      assertThat(put(doc, "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
      HttpResponse<byte[]> v1 = get(doc);
      String date = header(v1, "Last-Modified");
      clock.set(T.plusMillis(300));
      assertThat(delete(doc, "If-Match", header(v1, "ETag")).statusCode()).isEqualTo(204);
      clock.set(T.plusMillis(600));
      assertThat(put(doc, "other", "If-None-Match", "*").statusCode()).isEqualTo(201);
      assertThat(header(get(doc), "Last-Modified")).isEqualTo(date);

      assertThat(put(doc, "v1 edited", "If-Unmodified-Since", date).statusCode()).isEqualTo(412);
      assertThat(text(get(doc))).isEqualTo("other");
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void oneWriteInASecondKeepsItsDateUsable(GuardedServer.Adapter adapter) throws Exception {
    TestClock clock = new TestClock();
    try (GuardedServer server = start(adapter, clock)) {
      URI doc = server.uri("/docs/c");
      clock.set(T.plusMillis(100));
      assertThat(put(doc, "v1", "If-None-Match", "*").statusCode()).isEqualTo(201);
      clock.set(T.plusMillis(2100));
      HttpResponse<byte[]> v1 = get(doc);
      assertThat(put(doc, "v2", "If-Match", header(v1, "ETag")).statusCode()).isBetween(200, 204);
      HttpResponse<byte[]> v2 = get(doc);
      String date = header(v2, "Last-Modified");
      assertThat(HttpDates.parse(date)).isEqualTo(T.plusSeconds(2));
      assertThat(get(doc, "If-Modified-Since", date).statusCode()).isEqualTo(304);
      assertThat(put(doc, "v1 edited", "If-Unmodified-Since", header(v1, "Last-Modified")).statusCode())
          .as("an older second fails as always").isEqualTo(412);
      assertThat(put(doc, "v3", "If-Unmodified-Since", date).statusCode()).as("the only version of its second")
          .isBetween(200, 204);
    }
  }
}
