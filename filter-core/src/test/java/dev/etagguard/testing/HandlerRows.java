package dev.etagguard.testing;

import static dev.etagguard.testing.Http.delete;
import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.head;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The conformance rows of the handler corpus (issue 18): what every handler nobody on the project
 * wrote must show behind the guard, over real sockets, on a resource that holds a known body.
 * Each row is run on its own and its failure recorded with what was observed, so a test states
 * exactly which cells fail (and a cell listed as failing that starts to pass fails the test too).
 *
 * <p>Read rows (RFC 9110 8.8.3, 13.1.2, 13.1.5, 14, 15.4.5): a GET carries a strong {@code ETag};
 * {@code If-None-Match} with it gives 304 without body or {@code Content-Type}; HEAD carries the
 * GET's ETag and {@code Content-Length}; {@code Range: bytes=0-4} gives 206 with that ETag; a
 * current {@code If-Range} gives the part, a stale one the whole representation. Write rows (RFC
 * 9110 13.1.1, RFC 6585 3, RFC 9457): a stale {@code If-Match} gives 412 with a problem body and
 * changes nothing; a write without precondition on a guarded path gives 428 with a problem body;
 * and on a writable handler a write with the current {@code If-Match} succeeds, yields a new
 * strong ETag, makes the old one a stale {@code If-Range}, and a conditional DELETE honours it.
 */
public final class HandlerRows {

  /** The tag no representation has. */
  public static final String STALE = "\"etag-guard-corpus-stale\"";

  private HandlerRows() {
  }

  /** A row: assertions that throw AssertionError when the row fails. */
  @FunctionalInterface
  private interface Row {
    void run() throws Exception;
  }

  /** The read rows on {@code doc}, which holds {@code body} (at least 6 bytes): failing rows, with what was seen. */
  public static Map<String, String> reads(URI doc, byte[] body) {
    Map<String, String> failures = new LinkedHashMap<>();
    String[] tag = new String[1];
    row(failures, "get-strong-etag", () -> {
      HttpResponse<byte[]> r = get(doc);
      tag[0] = header(r, "ETag");
      assertThat(r.statusCode()).as("GET status").isEqualTo(200);
      assertThat(text(r)).as("GET body").isEqualTo(utf8(body));
      assertThat(tag[0]).as("GET ETag").isNotNull().doesNotStartWith("W/");
    });
    String etag = tag[0];
    row(failures, "if-none-match-304", () -> {
      assertThat(etag).as("a tag to send").isNotNull();
      HttpResponse<byte[]> r = get(doc, "If-None-Match", etag);
      assertThat(r.statusCode()).as("status").isEqualTo(304);
      assertThat(r.body()).as("304 body").isEmpty();
      assertThat(header(r, "ETag")).as("304 ETag").isEqualTo(etag);
      assertThat(header(r, "Content-Type")).as("304 Content-Type").isNull();
    });
    row(failures, "head-like-get", () -> {
      HttpResponse<byte[]> g = get(doc);
      HttpResponse<byte[]> h = head(doc);
      assertThat(h.statusCode()).as("HEAD status").isEqualTo(200);
      assertThat(header(h, "ETag")).as("HEAD ETag").isEqualTo(header(g, "ETag")).isNotNull();
      assertThat(header(g, "Content-Length")).as("GET Content-Length").isEqualTo(Integer.toString(body.length));
      assertThat(header(h, "Content-Length")).as("HEAD Content-Length").isEqualTo(Integer.toString(body.length));
    });
    row(failures, "range-206", () -> {
      HttpResponse<byte[]> r = get(doc, "Range", "bytes=0-4");
      assertThat(r.statusCode()).as("status").isEqualTo(206);
      assertThat(text(r)).as("part").isEqualTo(utf8(Arrays.copyOfRange(body, 0, 5)));
      assertThat(header(r, "Content-Range")).as("Content-Range").isEqualTo("bytes 0-4/" + body.length);
      assertThat(header(r, "ETag")).as("206 ETag").isEqualTo(etag).isNotNull();
    });
    row(failures, "current-if-range-206", () -> {
      assertThat(etag).as("a tag to send").isNotNull();
      HttpResponse<byte[]> r = get(doc, "Range", "bytes=1-3", "If-Range", etag);
      assertThat(r.statusCode()).as("status").isEqualTo(206);
      assertThat(text(r)).as("part").isEqualTo(utf8(Arrays.copyOfRange(body, 1, 4)));
    });
    row(failures, "stale-if-range-200", () -> {
      HttpResponse<byte[]> r = get(doc, "Range", "bytes=0-4", "If-Range", STALE);
      assertThat(r.statusCode()).as("status").isEqualTo(200);
      assertThat(text(r)).as("the whole representation").isEqualTo(utf8(body));
      assertThat(header(r, "ETag")).as("ETag").isEqualTo(etag);
    });
    return failures;
  }

  /**
   * The write rows on {@code doc}, which holds {@code body} and lies on a guarded path; with
   * {@code writable}, the handler stores PUT bodies and honours DELETE, and the rows end with
   * {@code doc} deleted.
   */
  public static Map<String, String> writes(URI doc, byte[] body, boolean writable) {
    Map<String, String> failures = new LinkedHashMap<>();
    row(failures, "stale-if-match-412", () -> {
      String before = header(get(doc), "ETag");
      HttpResponse<byte[]> r = put(doc, "overwritten", "If-Match", STALE);
      assertThat(r.statusCode()).as("status").isEqualTo(412);
      assertThat(header(r, "Content-Type")).as("412 Content-Type").startsWith("application/problem+json");
      HttpResponse<byte[]> after = get(doc);
      assertThat(text(after)).as("the body after a refused write").isEqualTo(utf8(body));
      assertThat(header(after, "ETag")).as("the ETag after a refused write").isEqualTo(before);
    });
    row(failures, "no-precondition-428", () -> {
      HttpResponse<byte[]> r = put(doc, "overwritten");
      assertThat(r.statusCode()).as("status").isEqualTo(428);
      assertThat(header(r, "Content-Type")).as("428 Content-Type").startsWith("application/problem+json");
      assertThat(text(get(doc))).as("the body after a refused write").isEqualTo(utf8(body));
    });
    if (!writable) {
      return failures;
    }
    row(failures, "if-match-write-cycle", () -> {
      String v1 = header(get(doc), "ETag");
      assertThat(v1).as("ETag before the write").isNotNull();
      String next = new String(body, StandardCharsets.UTF_8) + " rewritten";
      HttpResponse<byte[]> w = put(doc, next, "If-Match", v1);
      assertThat(w.statusCode()).as("write with the current If-Match").isIn(200, 204);
      HttpResponse<byte[]> r = get(doc);
      assertThat(text(r)).as("the written body").isEqualTo(next);
      String v2 = header(r, "ETag");
      assertThat(v2).as("the new ETag").isNotNull().doesNotStartWith("W/").isNotEqualTo(v1);
      HttpResponse<byte[]> resumed = get(doc, "Range", "bytes=0-4", "If-Range", v1);
      assertThat(resumed.statusCode()).as("If-Range with the ETag before the write").isEqualTo(200);
      assertThat(text(resumed)).as("the whole new representation").isEqualTo(next);
      HttpResponse<byte[]> staleDelete = delete(doc, "If-Match", v1);
      assertThat(staleDelete.statusCode()).as("DELETE with the old If-Match").isEqualTo(412);
      assertThat(get(doc).statusCode()).as("still there").isEqualTo(200);
      assertThat(delete(doc, "If-Match", v2).statusCode()).as("DELETE with the current If-Match").isIn(200, 204);
      assertThat(get(doc).statusCode()).as("GET after DELETE").isEqualTo(404);
    });
    return failures;
  }

  /** An assertion's message on one line, at most 400 characters. */
  public static String shortened(String message) {
    String line = String.valueOf(message).strip().replaceAll("\\s+", " ");
    return line.length() <= 400 ? line : line.substring(0, 400) + "...";
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static void row(Map<String, String> failures, String name, Row row) {
    try {
      row.run();
    } catch (AssertionError e) {
      failures.put(name, shortened(e.getMessage()));
    } catch (Exception e) {
      failures.put(name, e.toString());
    }
  }
}
