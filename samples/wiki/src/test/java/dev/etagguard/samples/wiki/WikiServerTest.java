package dev.etagguard.samples.wiki;

import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.samples.launcher.WebappServer;
import dev.etagguard.samples.wiki.launcher.WikiServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The wiki webapp, from its real web.xml, on each embedded container, over real sockets. */
class WikiServerTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY})
    void createsWithIfNoneMatchStarAndReadsTheSameBytesBack(String adapter) throws Exception {
        byte[] article = "{\"title\":\"Caf\u00e9\",\"body\":\"line 1\\nline 2\"}\n".getBytes(StandardCharsets.UTF_8);
        try (WebappServer server = WikiServer.start(adapter, 0)) {
            assertThat(server.port()).isPositive();

            HttpResponse<byte[]> created = send(server, request(server, "articles/hello")
                    .header("If-None-Match", "*")
                    .PUT(BodyPublishers.ofByteArray(article)));
            assertThat(created.statusCode()).isEqualTo(201);
            assertThat(created.headers().firstValue("Location")).hasValue("/articles/hello");

            HttpResponse<byte[]> read = send(server, request(server, "articles/hello").GET());
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            assertThat(read.body()).isEqualTo(article);

            HttpResponse<byte[]> list = send(server, request(server, "articles").GET());
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(text(list)).isEqualTo("[\"hello\"]");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY, WebappServer.TOMCAT_VALVE, WebappServer.JETTY_HANDLER})
    void articlesAreGuardedByTheFilterFromWebXml(String adapter) throws Exception {
        try (WebappServer server = WikiServer.start(adapter, 0)) {
            assertThat(send(server, request(server, "articles/guarded").header("If-None-Match", "*")
                    .PUT(BodyPublishers.ofString("{\"v\":1}"))).statusCode()).isEqualTo(201);

            HttpResponse<byte[]> read = send(server, request(server, "articles/guarded").GET());
            assertThat(read.statusCode()).isEqualTo(200);
            String etag = read.headers().firstValue("ETag").orElseThrow(
                    () -> new AssertionError("no ETag on a guarded GET: " + read.headers().map()));

            // The servlet itself would accept all of these; the guard answers first.
            assertThat(send(server, request(server, "articles/guarded")
                    .PUT(BodyPublishers.ofString("{\"v\":2}"))).statusCode()).isEqualTo(428);
            assertThat(send(server, request(server, "articles/guarded").header("If-None-Match", "*")
                    .PUT(BodyPublishers.ofString("{\"v\":2}"))).statusCode()).isEqualTo(412);
            assertThat(send(server, request(server, "articles/guarded").header("If-None-Match", etag).GET())
                    .statusCode()).isEqualTo(304);

            HttpResponse<byte[]> updated = send(server, request(server, "articles/guarded").header("If-Match", etag)
                    .PUT(BodyPublishers.ofString("{\"v\":2}")));
            assertThat(updated.statusCode()).isEqualTo(204);
            assertThat(send(server, request(server, "articles/guarded").header("If-Match", etag)
                    .PUT(BodyPublishers.ofString("{\"v\":3}"))).statusCode()).as("stale If-Match").isEqualTo(412);
            assertThat(text(send(server, request(server, "articles/guarded").GET()))).isEqualTo("{\"v\":2}");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY})
    void draftsAreUnguardedAndSeparate(String adapter) throws Exception {
        try (WebappServer server = WikiServer.start(adapter, 0)) {
            assertThat(send(server, request(server, "drafts/x").PUT(BodyPublishers.ofString("{\"v\":1}")))
                    .statusCode()).isEqualTo(201);
            assertThat(send(server, request(server, "drafts/x").PUT(BodyPublishers.ofString("{\"v\":2}")))
                    .statusCode()).isEqualTo(204);
            assertThat(text(send(server, request(server, "drafts/x").GET()))).isEqualTo("{\"v\":2}");

            HttpResponse<byte[]> posted = send(server, request(server, "drafts").POST(BodyPublishers.ofString("{}")));
            assertThat(posted.statusCode()).isEqualTo(201);
            assertThat(posted.headers().firstValue("Location")).hasValueSatisfying(
                    location -> assertThat(location).matches("/drafts/[0-9]+"));
            String postedId = posted.headers().firstValue("Location").orElseThrow().substring("/drafts/".length());

            assertThat(text(send(server, request(server, "drafts").GET())))
                    .isEqualTo("[\"" + postedId + "\",\"x\"]");
            assertThat(send(server, request(server, "articles/x").GET()).statusCode()).isEqualTo(404);

            // Unconditional deletes: /drafts is not guarded.
            assertThat(send(server, request(server, "drafts/x").DELETE()).statusCode()).isEqualTo(204);
            assertThat(send(server, request(server, "drafts/x").DELETE()).statusCode()).isEqualTo(404);
            assertThat(send(server, request(server, "drafts/x").GET()).statusCode()).isEqualTo(404);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY})
    void unknownPathsAre404AndOtherMethods405(String adapter) throws Exception {
        try (WebappServer server = WikiServer.start(adapter, 0)) {
            assertThat(send(server, request(server, "nope").GET()).statusCode()).isEqualTo(404);
            assertThat(send(server, request(server, "nope/deeper").PUT(BodyPublishers.ofString("{}")))
                    .statusCode()).isEqualTo(404);
            assertThat(send(server, request(server, "articlesX").GET()).statusCode()).isEqualTo(404);

            HttpResponse<byte[]> patch = send(server, request(server, "drafts/x")
                    .method("PATCH", BodyPublishers.ofString("{}")));
            assertThat(patch.statusCode()).isEqualTo(405);
            assertThat(patch.headers().firstValue("Allow")).hasValue("GET, HEAD, PUT, DELETE");
            assertThat(send(server, request(server, "drafts").DELETE()).statusCode()).isEqualTo(405);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY})
    void badIdsAre400WithATextBody(String adapter) throws Exception {
        try (WebappServer server = WikiServer.start(adapter, 0)) {
            for (String path : new String[] {"drafts/", "drafts/a/b", "drafts/a%20b", "drafts/a%22b"}) {
                HttpResponse<byte[]> response = send(server, request(server, path).GET());
                assertThat(response.statusCode()).as(path).isEqualTo(400);
                assertThat(response.headers().firstValue("Content-Type")).as(path)
                        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
                assertThat(text(response)).as(path).isNotBlank();
            }
            HttpResponse<byte[]> put = send(server, request(server, "drafts/a/b").PUT(BodyPublishers.ofString("{}")));
            assertThat(put.statusCode()).isEqualTo(400);
        }
    }

    private static HttpRequest.Builder request(WebappServer server, String path) {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(30));
    }

    private static HttpResponse<byte[]> send(WebappServer server, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        return CLIENT.send(request.build(), BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
