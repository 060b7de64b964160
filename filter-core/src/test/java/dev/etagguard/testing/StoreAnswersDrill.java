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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.support.Builtins;

/**
 * The drill every adapter runs for the options {@code authoritativePaths} and
 * {@code invalidationRules}, over real sockets, against an {@link ArticlesServlet} whose articles
 * are at {@code /articles/{id}} and whose listing is {@code /articles} (paths as the guard sees
 * them): conditional reads answered from the validator store without running the handler, the
 * fall-back to the handler when the store does not know a resource or a write is in progress,
 * every write through the guard changing the answer (success, failure, unknown outcome), the
 * listing dropped by a write to an article, and writes behind the guard's back as the documented
 * limit.
 */
public final class StoreAnswersDrill {

  /** The settings the drill expects: no guarded paths, so unconditional writes run too. */
  public static final GuardSettings SETTINGS = settings(false);

  private final URI base;
  private final ArticlesServlet servlet;
  private final GuardEngine engine;

  /**
   * @param base the URI that {@code /articles...} is appended to
   * @param servlet the servlet behind the guard
   * @param engine the guard's engine, to make its store forget a key
   */
  public StoreAnswersDrill(URI base, ArticlesServlet servlet, GuardEngine engine) {
    this.base = base;
    this.servlet = servlet;
    this.engine = engine;
  }

  /** {@link #SETTINGS}, optionally with read permits. */
  public static GuardSettings settings(boolean readPermits) {
    return GuardSettings.builder().authoritativePaths("/articles/*")
        .invalidationRules("/articles/{id} -> /articles").readPermits(readPermits)
        .permitTimeout(java.time.Duration.ofSeconds(30)).build();
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }

  /** Runs every part that holds whatever the settings (the write-in-progress part is separate). */
  public void run() throws Exception {
    conditionalReadsOfAKnownArticleSkipTheHandler("1");
    otherReadsRunTheHandler("2");
    anUnknownArticleFallsBackToTheHandler("3");
    everyWriteThroughTheGuardChangesTheAnswer("4");
    writesBehindTheGuardsBackAreTheLimit("5");
    theListingIsDroppedByAWriteToAnArticle();
  }

  private String create(String id, String body) throws Exception {
    HttpResponse<byte[]> created = put(uri("/articles/" + id), body, "If-None-Match", "*");
    assertThat(created.statusCode()).as("creating article %s", id).isEqualTo(201);
    HttpResponse<byte[]> r = get(uri("/articles/" + id));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo(body);
    String tag = header(r, "ETag");
    assertThat(tag).isEqualTo(tagOf(body));
    return tag;
  }

  /** Runs {@code request} and returns its response, asserting how many GETs the handler served meanwhile. */
  private HttpResponse<byte[]> expectHandlerGets(String path, int gets, Request request) throws Exception {
    int before = servlet.gets(path);
    HttpResponse<byte[]> r = request.send();
    assertThat(servlet.gets(path) - before).as("GETs of %s the handler served for a request answered %s",
        path, r.statusCode()).isEqualTo(gets);
    return r;
  }

  @FunctionalInterface
  private interface Request {
    HttpResponse<byte[]> send() throws Exception;
  }

  /** 304 (If-None-Match, If-Modified-Since; GET and HEAD, with or without Range) and 412 without the handler. */
  public void conditionalReadsOfAKnownArticleSkipTheHandler(String id) throws Exception {
    String path = "/articles/" + id;
    String tag = create(id, "article " + id);
    String lastModified = header(get(uri(path)), "Last-Modified");
    assertThat(lastModified).isNotNull();

    HttpResponse<byte[]> r = expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", tag));
    assertThat(r.statusCode()).isEqualTo(304);
    assertThat(r.body()).isEmpty();
    assertThat(header(r, "ETag")).isEqualTo(tag);
    assertThat(header(r, "Last-Modified")).isEqualTo(lastModified);
    r = expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", "\"other\", W/" + tag));
    assertThat(r.statusCode()).as("weak comparison, any tag of the list").isEqualTo(304);
    r = expectHandlerGets(path, 0, () -> head(uri(path), "If-None-Match", tag));
    assertThat(r.statusCode()).isEqualTo(304);
    assertThat(header(r, "ETag")).isEqualTo(tag);
    r = expectHandlerGets(path, 0, () -> get(uri(path), "If-Modified-Since", lastModified));
    assertThat(r.statusCode()).isEqualTo(304);
    r = expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", tag, "Range", "bytes=0-1",
        "If-Range", tag));
    assertThat(r.statusCode()).as("If-None-Match comes before Range (RFC 9110 13.2.2)").isEqualTo(304);
    r = expectHandlerGets(path, 0, () -> get(uri(path), "If-Match", "\"other\""));
    assertThat(r.statusCode()).isEqualTo(412);
    assertThat(header(r, "Content-Type")).startsWith("application/problem+json");
    assertThat(header(r, "ETag")).isEqualTo(tag);
    r = expectHandlerGets(path, 0, () -> get(uri(path), "If-Match", "W/" + tag));
    assertThat(r.statusCode()).as("If-Match compares strongly").isEqualTo(412);
    r = expectHandlerGets(path, 0, () -> get(uri(path), "If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"));
    assertThat(r.statusCode()).isEqualTo(412);
  }

  /** Unconditional reads, preconditions that hold and If-Range run the handler. */
  public void otherReadsRunTheHandler(String id) throws Exception {
    String path = "/articles/" + id;
    String tag = create(id, "article " + id);
    HttpResponse<byte[]> r = expectHandlerGets(path, 1, () -> get(uri(path)));
    assertThat(text(r)).isEqualTo("article " + id);
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", "\"other\""));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("article " + id);
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-Match", tag));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("article " + id);
    r = expectHandlerGets(path, 1, () -> get(uri(path), "Range", "bytes=0-6", "If-Range", tag));
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(text(r)).isEqualTo("article");
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"));
    assertThat(r.statusCode()).isEqualTo(200);
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", "\"bad"));
    assertThat(r.statusCode()).as("a malformed If-None-Match never matches").isEqualTo(200);
  }

  /** A resource the store does not know (never seen, or forgotten) is answered by the handler, then learned. */
  public void anUnknownArticleFallsBackToTheHandler(String id) throws Exception {
    String path = "/articles/" + id;
    servlet.items.put(id, "never seen by the guard");
    String tag = tagOf("never seen by the guard");
    HttpResponse<byte[]> r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", tag));
    assertThat(r.statusCode()).isEqualTo(304);
    assertThat(header(r, "ETag")).isEqualTo(tag);
    r = expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", tag));
    assertThat(r.statusCode()).as("learned by the read").isEqualTo(304);
    engine.store().invalidate(new ResourceKey(path));
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", tag));
    assertThat(r.statusCode()).as("forgotten by the store").isEqualTo(304);
    engine.store().invalidate(new ResourceKey(path));
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-Match", "\"other\""));
    assertThat(r.statusCode()).isEqualTo(412);
    r = expectHandlerGets("/articles/missing", 1, () -> get(uri("/articles/missing"), "If-None-Match", tag));
    assertThat(r.statusCode()).isEqualTo(404);
  }

  /** After a write through the guard (success, failure, unknown outcome) the old tag gets no 304. */
  public void everyWriteThroughTheGuardChangesTheAnswer(String id) throws Exception {
    String path = "/articles/" + id;
    String v1 = create(id, "v1");
    assertThat(get(uri(path), "If-None-Match", v1).statusCode()).isEqualTo(304);

    HttpResponse<byte[]> w = put(uri(path), "v2", "If-Match", v1);
    assertThat(w.statusCode()).isEqualTo(204);
    String v2 = tagOf("v2");
    assertThat(header(w, "ETag")).isEqualTo(v2);
    HttpResponse<byte[]> r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", v1));
    assertThat(r.statusCode()).as("the old tag after a successful write").isEqualTo(200);
    assertThat(text(r)).isEqualTo("v2");
    assertThat(expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", v2)).statusCode()).isEqualTo(304);
    assertThat(expectHandlerGets(path, 0, () -> get(uri(path), "If-Match", v1)).statusCode()).isEqualTo(412);

    assertThat(put(uri(path + "?fail"), "v3", "If-Match", v2).statusCode()).isEqualTo(500);
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", v2));
    assertThat(r.statusCode()).as("the old tag after a failed write that changed the article").isEqualTo(200);
    assertThat(text(r)).isEqualTo("v3");
    String v3 = header(r, "ETag");
    assertThat(expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", v3)).statusCode()).isEqualTo(304);

    assertThat(put(uri(path + "?throw"), "v4").statusCode()).as("an unconditional write that throws").isEqualTo(500);
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", v3));
    assertThat(r.statusCode()).as("the old tag after a write of unknown outcome").isEqualTo(200);
    assertThat(text(r)).isEqualTo("v4");
    String v4 = header(r, "ETag");

    assertThat(put(uri(path), "refused", "If-Match", v1).statusCode()).isEqualTo(412);
    assertThat(expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", v4)).statusCode())
        .as("a refused write leaves the validators").isEqualTo(304);

    assertThat(delete(uri(path), "If-Match", v4).statusCode()).isEqualTo(204);
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", v4));
    assertThat(r.statusCode()).as("the old tag after a delete").isEqualTo(404);
  }

  /**
   * The documented limit: a write that does not pass through the guard leaves the store stale,
   * and the old tag is still answered 304, until the store forgets the resource.
   */
  public void writesBehindTheGuardsBackAreTheLimit(String id) throws Exception {
    String path = "/articles/" + id;
    String tag = create(id, "before");
    servlet.items.put(id, "changed behind the guard's back");
    HttpResponse<byte[]> r = expectHandlerGets(path, 0, () -> get(uri(path), "If-None-Match", tag));
    assertThat(r.statusCode()).as("stale, as documented: the store is told of writes through the guard only")
        .isEqualTo(304);
    engine.store().invalidate(new ResourceKey(path));
    r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", tag));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("changed behind the guard's back");
  }

  /** Option invalidationRules: the listing is answered from the store before and after a write to an article. */
  public void theListingIsDroppedByAWriteToAnArticle() throws Exception {
    String listing = "/articles";
    HttpResponse<byte[]> r = expectHandlerGets(listing, 1, () -> get(uri(listing)));
    String before = text(r);
    String l1 = header(r, "ETag");
    assertThat(l1).isNotNull();
    assertThat(expectHandlerGets(listing, 0, () -> get(uri(listing), "If-None-Match", l1)).statusCode())
        .as("the listing from the store").isEqualTo(304);

    assertThat(put(uri("/articles/9"), "ten", "If-None-Match", "*").statusCode()).isEqualTo(201);
    r = expectHandlerGets(listing, 1, () -> get(uri(listing), "If-None-Match", l1));
    assertThat(r.statusCode()).as("the listing after an article was created").isEqualTo(200);
    assertThat(text(r)).isEqualTo(before + "9=ten\n");
    String l2 = header(r, "ETag");
    assertThat(l2).isNotEqualTo(l1);
    assertThat(expectHandlerGets(listing, 0, () -> get(uri(listing), "If-None-Match", l2)).statusCode())
        .as("the new listing from the store").isEqualTo(304);

    assertThat(put(uri("/articles/9"), "refused", "If-Match", "\"stale\"").statusCode()).isEqualTo(412);
    assertThat(expectHandlerGets(listing, 0, () -> get(uri(listing), "If-None-Match", l2)).statusCode())
        .as("a refused write changes no listing").isEqualTo(304);

    String ten = tagOf("ten");
    assertThat(put(uri("/articles/9"), "TEN", "If-Match", ten).statusCode()).isEqualTo(204);
    r = expectHandlerGets(listing, 1, () -> get(uri(listing), "If-None-Match", l2));
    assertThat(text(r)).isEqualTo(before + "9=TEN\n");
    String l3 = header(r, "ETag");

    assertThat(delete(uri("/articles/9"), "If-Match", tagOf("TEN")).statusCode()).isEqualTo(204);
    r = expectHandlerGets(listing, 1, () -> get(uri(listing), "If-None-Match", l3));
    assertThat(r.statusCode()).as("the listing after an article was deleted").isEqualTo(200);
    assertThat(text(r)).isEqualTo(before);
    assertThat(header(r, "ETag")).isEqualTo(l1);

    servlet.items.put("8", "behind the guard's back");
    assertThat(expectHandlerGets(listing, 0, () -> get(uri(listing), "If-None-Match", l1)).statusCode())
        .as("stale, as documented: no rule sees a write that bypasses the guard").isEqualTo(304);
    servlet.items.remove("8");
  }

  /**
   * Without read permits, a conditional read of an article being written is not answered from the
   * store: the handler runs (and, the write not being done, finds the old version).
   */
  public void aWriteInProgressSendsReadsToTheHandler(String id) throws Exception {
    String path = "/articles/" + id;
    String v1 = create(id, "old");
    CompletableFuture<HttpResponse<byte[]>> write = CompletableFuture.supplyAsync(() -> {
      try {
        return put(uri(path + "?hold"), "new", "If-Match", v1);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      assertThat(servlet.writeEntered.await(30, TimeUnit.SECONDS)).as("the write reached its handler").isTrue();
      HttpResponse<byte[]> r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", v1));
      assertThat(r.statusCode()).isEqualTo(304);
    } finally {
      servlet.releaseWrite.countDown();
    }
    assertThat(write.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    HttpResponse<byte[]> r = expectHandlerGets(path, 1, () -> get(uri(path), "If-None-Match", v1));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(text(r)).isEqualTo("new");
  }

  /** The generated ETag of a UTF-8 body. */
  public static String tagOf(String body) {
    EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    d.update(b, 0, b.length);
    return d.finish().toString();
  }
}
