package dev.etagguard.testing;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;

/**
 * Option {@code weakIfMatchPaths} over HTTP, for every adapter: a {@link WeakTagServlet} behind the
 * guard, with {@code weakIfMatchPaths=/weak/*}. There If-Match with the weak tag a GET gave (or its
 * strong form) lets a write through, a stale one still gets 412, and If-Range stays strong;
 * elsewhere If-Match with a weak tag always gets 412 (RFC 9110 8.8.3.2, strong comparison).
 */
public final class WeakIfMatchScenario {

  /** The option value the scenario expects the guard to be configured with. */
  public static final String WEAK_PATHS = "/weak/*";

  private WeakIfMatchScenario() {
  }

  /** Runs the scenario against the server at {@code base} (no trailing slash). */
  public static void run(URI base) throws Exception {
    URI weak = URI.create(base + "/weak/doc");
    assertThat(put(weak, "one", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String first = header(get(weak), "ETag");
    assertThat(first).as("the handler's own weak tag").startsWith("W/\"");

    assertThat(put(weak, "two", "If-Match", first).statusCode()).as("weak If-Match on a weak path").isEqualTo(204);
    assertThat(text(get(weak))).isEqualTo("two");
    assertThat(put(weak, "lost", "If-Match", first).statusCode()).as("a stale weak tag").isEqualTo(412);
    assertThat(text(get(weak))).isEqualTo("two");

    String second = header(get(weak), "ETag");
    assertThat(second).startsWith("W/\"").isNotEqualTo(first);
    assertThat(put(weak, "three", "If-Match", second.substring(2)).statusCode())
        .as("the strong form of the current weak tag").isEqualTo(204);

    String third = header(get(weak), "ETag");
    HttpResponse<byte[]> range = get(weak, "Range", "bytes=0-1", "If-Range", third);
    assertThat(range.statusCode()).as("If-Range stays strong: a weak tag never allows a range").isEqualTo(200);
    assertThat(text(range)).isEqualTo("three");

    URI strong = URI.create(base + "/strong/doc");
    assertThat(put(strong, "one", "If-None-Match", "*").statusCode()).isEqualTo(201);
    String tag = header(get(strong), "ETag");
    assertThat(tag).startsWith("W/\"");
    assertThat(put(strong, "two", "If-Match", tag).statusCode()).as("weak If-Match elsewhere").isEqualTo(412);
    assertThat(text(get(strong))).isEqualTo("one");
  }
}
