package dev.etagguard.samples.objectstore;

import static dev.etagguard.samples.objectstore.ObjectStoreRacesTest.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.samples.objectstore.launcher.ObjectStoreServer;
import dev.etagguard.testing.Http;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The store's HTTP API on its own (guard off, no delays): what it does when nothing races. */
class ObjectStoreServletTest {

    private static ObjectStoreServer server;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @BeforeAll
    static void start() throws Exception {
        server = ObjectStoreServer.start(ObjectStoreServer.Options.defaults().guard(false)
                .delays(new ObjectStorage.Delays(4, java.time.Duration.ZERO, java.time.Duration.ZERO)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static URI uri(String path) {
        return URI.create(server.baseUrl() + path);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void objectsAndTheBucketListing() throws Exception {
        assertThat(send("PUT", uri("buckets/b/objects/a"), bytes("hello world")).statusCode()).isEqualTo(201);
        assertThat(send("PUT", uri("buckets/b/objects/a"), bytes("0123456789")).statusCode()).isEqualTo(200);
        assertThat(send("PUT", uri("buckets/b/objects/z"), bytes("")).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> got = send("GET", uri("buckets/b/objects/a"), null);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(text(got)).isEqualTo("0123456789");
        assertThat(Http.header(got, "ETag")).as("the store has no ETag code").isNull();
        assertThat(Http.header(send("HEAD", uri("buckets/b/objects/a"), null), "Content-Length")).isEqualTo("10");
        assertThat(send("GET", uri("buckets/b/objects/z"), null).body()).isEmpty();

        JsonNode listing = JSON.readTree(send("GET", uri("buckets/b"), null).body());
        assertThat(listing.path("objects")).hasSize(2);
        assertThat(listing.path("objects").path(0).path("key").asString()).isEqualTo("a");
        assertThat(listing.path("objects").path(0).path("size").asLong()).isEqualTo(10);
        assertThat(listing.path("objects").path(0).path("etag").asString())
                .isEqualTo("\"" + ObjectStorage.md5(bytes("0123456789")) + "\"");

        assertThat(send("DELETE", uri("buckets/b/objects/a"), null).statusCode()).isEqualTo(204);
        assertThat(send("DELETE", uri("buckets/b/objects/a"), null).statusCode()).isEqualTo(404);
        assertThat(send("GET", uri("buckets/b/objects/a"), null).statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(send("GET", uri("buckets/b"), null).body()).path("objects")).hasSize(1);
        assertThat(JSON.readTree(send("GET", uri("buckets/empty"), null).body()).path("objects")).isEmpty();
    }

    @Test
    void rangesUnlessIfRange() throws Exception {
        send("PUT", uri("buckets/r/objects/a"), bytes("0123456789abcdef"));
        HttpResponse<byte[]> part = send("GET", uri("buckets/r/objects/a"), null, "Range", "bytes=2-5");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(text(part)).isEqualTo("2345");
        assertThat(Http.header(part, "Content-Range")).isEqualTo("bytes 2-5/16");
        assertThat(text(send("GET", uri("buckets/r/objects/a"), null, "Range", "bytes=10-"))).isEqualTo("abcdef");
        assertThat(text(send("GET", uri("buckets/r/objects/a"), null, "Range", "bytes=-3"))).isEqualTo("def");
        assertThat(send("GET", uri("buckets/r/objects/a"), null, "Range", "bytes=16-").statusCode()).isEqualTo(416);
        HttpResponse<byte[]> ignored = send("GET", uri("buckets/r/objects/a"), null, "Range", "bytes=2-5",
                "If-Range", "\"anything\"");
        assertThat(ignored.statusCode()).as("no validators: If-Range cannot be true").isEqualTo(200);
        assertThat(text(ignored)).isEqualTo("0123456789abcdef");
        assertThat(send("GET", uri("buckets/r/objects/a"), null, "Range", "items=1-2").statusCode()).isEqualTo(200);
    }

    @Test
    void multipartUploads() throws Exception {
        String object = "buckets/m/objects/big";
        HttpResponse<byte[]> two = send("PUT", uri(object + "?uploadId=u1&partNumber=2"), bytes("world"));
        assertThat(two.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(two.body()).path("etag").asString())
                .isEqualTo("\"" + ObjectStorage.md5(bytes("world")) + "\"");
        send("PUT", uri(object + "?uploadId=u1&partNumber=1"), bytes("hello "));
        assertThat(text(send("GET", uri(object + "?uploadId=u1&partNumber=1"), null))).isEqualTo("hello ");
        JsonNode parts = JSON.readTree(send("GET", uri(object + "?uploadId=u1"), null).body()).path("parts");
        assertThat(parts).hasSize(2);
        assertThat(parts.path(0).path("partNumber").asInt()).isEqualTo(1);
        assertThat(parts.path(1).path("size").asLong()).isEqualTo(5);
        assertThat(send("GET", uri(object), null).statusCode()).isEqualTo(404);

        Map<String, List<String>> form = Map.of("Content-Type", List.of("application/x-www-form-urlencoded"));
        HttpResponse<byte[]> wrongTag = Http.send("POST", uri(object), form, bytes("uploadId=u1&parts=1:\"00\",2"));
        assertThat(wrongTag.statusCode()).isEqualTo(400);
        assertThat(Http.send("POST", uri(object), form, bytes("uploadId=nope")).statusCode()).isEqualTo(404);
        HttpResponse<byte[]> done = Http.send("POST", uri(object), form, bytes("uploadId=u1"));
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(done.body()).path("size").asLong()).isEqualTo(11);
        assertThat(text(send("GET", uri(object), null))).isEqualTo("hello world");
        assertThat(send("GET", uri(object + "?uploadId=u1"), null).statusCode()).as("the upload is gone").isEqualTo(404);
    }

    @Test
    void badRequests() throws Exception {
        assertThat(send("GET", uri("buckets/b/objects/a/b"), null).statusCode()).isEqualTo(404);
        assertThat(send("GET", uri("buckets/b/things/a"), null).statusCode()).isEqualTo(404);
        assertThat(send("PUT", uri("buckets/b"), bytes("x")).statusCode()).isEqualTo(405);
        assertThat(send("PATCH", uri("buckets/b/objects/a"), bytes("x")).statusCode()).isEqualTo(405);
        assertThat(send("PUT", uri("buckets/b/objects/a?uploadId=u&partNumber=0"), bytes("x")).statusCode())
                .isEqualTo(400);
        assertThat(send("PUT", uri("buckets/b/objects/a?partNumber=1"), bytes("x")).statusCode()).isEqualTo(400);
        assertThat(send("PUT", uri("buckets/b/objects/a?uploadId=%2F&partNumber=1"), bytes("x")).statusCode())
                .isEqualTo(400);
        assertThat(Http.send("POST", uri("buckets/b/objects/a"), Map.of(), bytes("")).statusCode()).isEqualTo(400);
    }
}
