package dev.etagguard.samples.objectstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.samples.objectstore.ObjectStorage.Delays;
import dev.etagguard.samples.objectstore.ObjectStorage.Probe;
import dev.etagguard.samples.objectstore.ObjectStorage.Step;
import dev.etagguard.samples.objectstore.launcher.ObjectStoreServer;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.testing.Http;
import dev.etagguard.support.Builtins;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The six concurrent-operation races of an object store, each run without the guard and with it,
 * against the real servlet on embedded Tomcat over real sockets.
 *
 * <p>The races are real: the storage writes 256-byte chunks at 2 ms each, then the metadata in
 * 20 ms, and reads chunk by chunk at 2 ms each. A test only chooses when the second request is
 * sent: once the storage reports (through its {@link Probe}, which never blocks) that the first
 * request has reached a given step, so both are in flight together. Without the guard the
 * documented anomaly must show at least once in {@value #ATTEMPTS} attempts (in practice it shows
 * in every attempt: the second request always lands while the first has tens of milliseconds of
 * work left); with the guard it must never show. No assertion depends on timing.
 */
class ObjectStoreRacesTest {

    static final int ATTEMPTS = 10;
    static final int CHUNK = 256;
    static final Delays DELAYS = new Delays(CHUNK, Duration.ofMillis(2), Duration.ofMillis(20));
    /** A large upload: 16 chunks, about 52 ms of storage work. */
    static final int LONG = 16;
    /** A small upload: 2 chunks, about 24 ms. */
    static final int SHORT = 2;

    /** How the store runs. */
    enum Mode {
        OFF(false, false),
        GUARD(true, false),
        GUARD_READ_PERMITS(true, true);

        final boolean guard;
        final boolean readPermits;

        Mode(boolean guard, boolean readPermits) {
            this.guard = guard;
            this.readPermits = readPermits;
        }
    }

    private static final Map<Mode, ObjectStoreServer> SERVERS = new EnumMap<>(Mode.class);
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "race-client");
        t.setDaemon(true);
        return t;
    });
    private static final JsonMapper JSON = JsonMapper.builder().build();

    static synchronized ObjectStoreServer server(Mode mode) throws Exception {
        ObjectStoreServer s = SERVERS.get(mode);
        if (s == null) {
            s = ObjectStoreServer.start(new ObjectStoreServer.Options(0, mode.guard, mode.readPermits, false, DELAYS));
            SERVERS.put(mode, s);
        }
        return s;
    }

    @AfterEach
    void noProbe() {
        SERVERS.values().forEach(s -> s.storage().probe(Probe.NONE));
    }

    @AfterAll
    static void stop() {
        SERVERS.values().forEach(ObjectStoreServer::close);
        SERVERS.clear();
        POOL.shutdownNow();
    }

    // ---------------------------------------------------------------- 1. two uploads of one name

    /**
     * A large upload is in progress when a small one of the same name arrives. The last one
     * received must replace the other, whole, with its own metadata; of two creates with
     * {@code If-None-Match: *}, only the first may succeed. Without the guard the small upload
     * truncates the blob the large one is still writing into, and the large one's metadata lands
     * last: the listing describes the large upload, the data is a few chunks of both. And both
     * creates are acknowledged, one of them silently lost.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"OFF", "GUARD"})
    void twoUploadsOfOneName(Mode mode) throws Exception {
        ObjectStoreServer server = server(mode);
        Tally replaced = new Tally("1. two uploads of one name: the last received replaces the other, whole", mode);
        Tally created = new Tally("1. two creates (If-None-Match: *): only the first succeeds", mode);
        for (int a = 0; a < ATTEMPTS; a++) {
            String key = "k" + a;
            byte[] large = version("large-" + a, LONG);
            byte[] small = version("small-" + a, SHORT);
            List<HttpResponse<byte[]>> both = overlap(server, Step.DATA_CHUNK, ObjectStoreServlet.objectName("s1", key),
                    () -> send("PUT", object(server, "s1", key), large),
                    () -> send("PUT", object(server, "s1", key), small));
            assertThat(both).allSatisfy(r -> assertThat(r.statusCode()).isIn(200, 201));
            State state = state(server, "s1", key);
            replaced.attempt(a, state.problemsAgainst(small, mode, large, "the large upload received first"));

            String fresh = "c" + a;
            both = overlap(server, Step.DATA_CHUNK, ObjectStoreServlet.objectName("s1", fresh),
                    () -> send("PUT", object(server, "s1", fresh), large, "If-None-Match", "*"),
                    () -> send("PUT", object(server, "s1", fresh), small, "If-None-Match", "*"));
            List<String> problems = new ArrayList<>();
            if (both.get(0).statusCode() == 201 && both.get(1).statusCode() / 100 == 2) {
                problems.add("both creates acknowledged (" + both.get(0).statusCode() + ", " + both.get(1).statusCode()
                        + "): one upload silently replaced the other");
            } else if (both.get(0).statusCode() != 201 || both.get(1).statusCode() != 412) {
                problems.add("statuses " + both.get(0).statusCode() + ", " + both.get(1).statusCode()
                        + " (expected 201, 412)");
            }
            problems.addAll(state(server, "s1", fresh).problemsAgainst(large, mode, small, "the second create"));
            created.attempt(a, problems);
        }
        replaced.assertShownWithoutGuard();
        created.assertShownWithoutGuard();
    }

    // ---------------------------------------------------------------- 2. an upload racing a delete

    /**
     * A DELETE arrives while an upload of the object is writing its data. Applied in arrival
     * order, the object is gone afterwards. Without the guard the delete frees the blob under the
     * upload, which then writes its metadata: the delete is lost, the object listed again (and
     * unreadable).
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"OFF", "GUARD"})
    void uploadRacingADelete(Mode mode) throws Exception {
        ObjectStoreServer server = server(mode);
        Tally deleted = new Tally("2. an upload racing a delete: the delete (received last) wins", mode);
        for (int a = 0; a < ATTEMPTS; a++) {
            String key = "k" + a;
            assertThat(send("PUT", object(server, "s2", key), version("old-" + a, SHORT)).statusCode()).isEqualTo(201);
            byte[] upload = version("new-" + a, LONG);
            List<HttpResponse<byte[]>> both = overlap(server, Step.DATA_CHUNK, ObjectStoreServlet.objectName("s2", key),
                    () -> send("PUT", object(server, "s2", key), upload),
                    () -> send("DELETE", object(server, "s2", key), null));
            assertThat(both.get(1).statusCode()).isEqualTo(204);
            deleted.attempt(a, state(server, "s2", key).problemsIfPresent("after the upload and then the delete"));
        }
        deleted.assertShownWithoutGuard();
    }

    // ---------------------------------------------------------------- 3. a delete during the metadata write

    /**
     * A DELETE arrives while a new object's metadata is being written (its data is complete).
     * Readers may then see the object or "not found", but never both at once. Without the guard
     * the delete removes the data, the metadata lands afterwards: the listing shows an object
     * whose GET says 404.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"OFF", "GUARD"})
    void deleteDuringTheMetadataWrite(Mode mode) throws Exception {
        ObjectStoreServer server = server(mode);
        Tally consistent = new Tally("3. a delete during the metadata write: listing and GET agree, the object is gone", mode);
        for (int a = 0; a < ATTEMPTS; a++) {
            String key = "k" + a;
            byte[] upload = version("v-" + a, LONG);
            List<HttpResponse<byte[]>> both = overlap(server, Step.METADATA, ObjectStoreServlet.objectName("s3", key),
                    () -> send("PUT", object(server, "s3", key), upload),
                    () -> send("DELETE", object(server, "s3", key), null));
            assertThat(both.get(0).statusCode()).isEqualTo(201);
            assertThat(both.get(1).statusCode()).isIn(204, 404);
            consistent.attempt(a, state(server, "s3", key).problemsIfPresent("after the upload and then the delete"));
        }
        consistent.assertShownWithoutGuard();
    }

    // ---------------------------------------------------------------- 4. a download racing a delete

    /**
     * A DELETE arrives while a download is reading the object. The download returns the whole
     * object (its ETag that of its bytes) or 404, never part of it. Without the guard the delete
     * frees the chunks not read yet: a 200 with a truncated body.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"OFF", "GUARD_READ_PERMITS"})
    void downloadRacingADelete(Mode mode) throws Exception {
        ObjectStoreServer server = server(mode);
        Tally whole = new Tally("4. a download racing a delete: the whole object or 404", mode);
        for (int a = 0; a < ATTEMPTS; a++) {
            String key = "k" + a;
            byte[] v = version("v-" + a, LONG);
            assertThat(send("PUT", object(server, "s4", key), v).statusCode()).isEqualTo(201);
            List<HttpResponse<byte[]>> both = overlap(server, Step.READ_CHUNK, ObjectStoreServlet.objectName("s4", key),
                    () -> send("GET", object(server, "s4", key), null),
                    () -> send("DELETE", object(server, "s4", key), null));
            assertThat(both.get(1).statusCode()).isEqualTo(204);
            whole.attempt(a, Got.of(both.get(0)).problemsAsDownloadOf(mode, v));
            assertThat(send("GET", object(server, "s4", key), null).statusCode()).isEqualTo(404);
        }
        whole.assertShownWithoutGuard();
    }

    // ---------------------------------------------------------------- 5. a download racing an update

    /**
     * An update arrives while a download is reading the object; and a download resumed with
     * {@code Range} (and {@code If-Range}, when the client has an ETag) while an update is
     * completing. The download returns one whole version whose ETag is that of its bytes, and the
     * resumed one never splices two versions. Without the guard the update truncates the blob
     * under the reader (a torn, partial body), and a resumed download, which has no validator to
     * send, gets the new version's tail after the old version's head.
     *
     * <p>With the guard but without {@code readPermits} the torn downloads still happen, since a
     * read runs beside the write: each carries the ETag of its own (mixed) bytes, so it can never
     * authorize a write (an {@code If-Match} with it is 412), and a resumed download still never
     * splices (the guard evaluates If-Range against the bytes it cuts the range from). With
     * {@code readPermits} the download waits for the update, or the update for it.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void downloadRacingAnUpdate(Mode mode) throws Exception {
        ObjectStoreServer server = server(mode);
        Tally torn = new Tally("5. a download racing an update: one whole version", mode);
        Tally spliced = new Tally("5. a resumed download (Range + If-Range) racing an update: never spliced", mode);
        int writeBacksAccepted = 0;
        for (int a = 0; a < ATTEMPTS; a++) {
            String key = "k" + a;
            byte[] v1 = version("one-" + a, LONG);
            byte[] v2 = version("two-" + a, LONG);
            assertThat(send("PUT", object(server, "s5", key), v1).statusCode()).isEqualTo(201);
            List<HttpResponse<byte[]>> both = overlap(server, Step.READ_CHUNK, ObjectStoreServlet.objectName("s5", key),
                    () -> send("GET", object(server, "s5", key), null),
                    () -> send("PUT", object(server, "s5", key), v2));
            Got download = Got.of(both.get(0));
            List<String> problems = download.problemsAsDownloadOf(mode, v1, v2);
            torn.attempt(a, problems);
            if (mode.guard && !problems.isEmpty() && download.etag() != null) {
                // A torn download's ETag is that of its own bytes: it matches no stored version.
                int status = send("PUT", object(server, "s5", key), v1, "If-Match", download.etag()).statusCode();
                if (status / 100 == 2) {
                    writeBacksAccepted++;
                }
            }

            String resumed = "r" + a;
            assertThat(send("PUT", object(server, "s5", resumed), v1).statusCode()).isEqualTo(201);
            Got first = Got.of(send("GET", object(server, "s5", resumed), null));
            assertThat(first.body()).isEqualTo(v1);
            int half = v1.length / 2;
            byte[] head = Arrays.copyOf(first.body(), half);
            // Resumed at once, the download is spliced from one version: 206 with its second half.
            Got quick = Got.of(resume(server, resumed, half, first.etag()));
            assertThat(quick.status()).isEqualTo(206);
            assertThat(concat(head, quick.body())).isEqualTo(v1);
            // Resumed while an update completes.
            both = overlap(server, Step.METADATA, ObjectStoreServlet.objectName("s5", resumed),
                    () -> send("PUT", object(server, "s5", resumed), v2),
                    () -> resume(server, resumed, half, first.etag()));
            Got rest = Got.of(both.get(1));
            byte[] result = rest.status() == 206 ? concat(head, rest.body()) : rest.body();
            List<String> splice = new ArrayList<>();
            if (!Arrays.equals(result, v1) && !Arrays.equals(result, v2)) {
                splice.add("resumed download answered " + rest.status() + ": the result is "
                        + describe(result, v1, v2) + ", no version of the object");
            }
            if (rest.status() == 200 && mode.guard && !rest.etagMatchesBody()) {
                splice.add("200 whose ETag is not that of its bytes");
            }
            spliced.attempt(a, splice);
        }
        switch (mode) {
            case OFF -> {
                torn.assertShownWithoutGuard();
                spliced.assertShownWithoutGuard();
            }
            case GUARD -> {
                // Documented: without read permits the digest is honest, but the download is torn.
                torn.assertShownAnyway("the guard without readPermits does not keep a read from a write in progress");
                assertThat(torn.problems()).as("torn downloads with the guard still carry the ETag of their own bytes")
                        .noneMatch(p -> p.contains("ETag"));
                assertThat(writeBacksAccepted).as("writes accepted with a torn download's ETag").isZero();
                spliced.assertNever();
            }
            case GUARD_READ_PERMITS -> {
                torn.assertNever();
                spliced.assertNever();
            }
        }
    }

    // ---------------------------------------------------------------- 6. two uploads of the same part

    /**
     * A small upload of part 1 arrives while a large upload of the same part is in progress. The
     * part listing must then show the ETag (the store's MD5) of the last completed part upload,
     * which holds the part's bytes; with the guard the part's own HTTP ETag is the one the last
     * upload was answered with, and completing the upload yields exactly those bytes. Without the
     * guard the listing shows the large upload's ETag over a few chunks of both.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"OFF", "GUARD"})
    void twoUploadsOfTheSamePart(Mode mode) throws Exception {
        ObjectStoreServer server = server(mode);
        Tally listed = new Tally("6. two uploads of the same part: the listing shows the last completed one's ETag", mode);
        for (int a = 0; a < ATTEMPTS; a++) {
            String key = "k" + a;
            String upload = "u" + a;
            URI part = URI.create(object(server, "s6", key) + "?uploadId=" + upload + "&partNumber=1");
            byte[] large = version("large-part-" + a, LONG);
            byte[] small = version("small-part-" + a, SHORT);
            List<HttpResponse<byte[]>> both = overlap(server, Step.DATA_CHUNK,
                    ObjectStoreServlet.uploadPrefix("s6", key, upload) + 1,
                    () -> send("PUT", part, large),
                    () -> send("PUT", part, small));
            assertThat(both).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
            String lastEtag = JSON.readTree(both.get(1).body()).path("etag").asString();
            assertThat(lastEtag).isEqualTo(quoted(ObjectStorage.md5(small)));

            JsonNode parts = JSON.readTree(send("GET", URI.create(object(server, "s6", key) + "?uploadId=" + upload),
                    null).body()).path("parts");
            Got stored = Got.of(send("GET", part, null));
            List<String> problems = new ArrayList<>();
            String listedEtag = parts.path(0).path("etag").asString();
            if (!listedEtag.equals(lastEtag)) {
                problems.add("the listing shows ETag " + listedEtag + " (size " + parts.path(0).path("size").asLong()
                        + "), not " + lastEtag + " of the last completed upload");
            }
            if (!listedEtag.equals(quoted(ObjectStorage.md5(stored.body())))) {
                problems.add("the listed ETag is not that of the part's " + stored.body().length + " bytes, "
                        + describe(stored.body(), large, small));
            }
            if (!Arrays.equals(stored.body(), small)) {
                problems.add("the part holds " + describe(stored.body(), large, small));
            }
            if (mode.guard) {
                if (!stored.etagMatchesBody()) {
                    problems.add("the part's ETag is not that of its bytes");
                }
                if (!String.valueOf(stored.etag()).equals(Http.header(both.get(1), "ETag"))) {
                    problems.add("the part's ETag " + stored.etag() + " is not the one its last upload was answered with, "
                            + Http.header(both.get(1), "ETag"));
                }
                HttpResponse<byte[]> done = Http.send("POST", object(server, "s6", key),
                        Map.of("Content-Type", List.of("application/x-www-form-urlencoded")),
                        ("uploadId=" + upload + "&parts=1:" + lastEtag).getBytes(StandardCharsets.UTF_8));
                assertThat(done.statusCode()).as(new String(done.body(), StandardCharsets.UTF_8)).isEqualTo(200);
                problems.addAll(state(server, "s6", key).problemsAgainst(small, mode, large, "the large part"));
            }
            listed.attempt(a, problems);
        }
        listed.assertShownWithoutGuard();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Sends {@code first}; once the storage reports that it has reached {@code step} on
     * {@code name}, sends {@code second}; returns both responses.
     */
    static List<HttpResponse<byte[]>> overlap(ObjectStoreServer server, Step step, String name,
            Callable<HttpResponse<byte[]>> first, Callable<HttpResponse<byte[]>> second) throws Exception {
        CountDownLatch reached = new CountDownLatch(1);
        // For reads, wait until a few chunks are done, so the race hits the middle of the body.
        int chunk = step == Step.READ_CHUNK ? 2 : 0;
        server.storage().probe((s, n, c) -> {
            if (s == step && n.equals(name) && (c == chunk || c < 0)) {
                reached.countDown();
            }
        });
        try {
            Future<HttpResponse<byte[]>> f1 = POOL.submit(first);
            if (!reached.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the first request never reached " + step + " of " + name
                        + (f1.isDone() ? "; it answered " + f1.get().statusCode() : ""));
            }
            Future<HttpResponse<byte[]>> f2 = POOL.submit(second);
            return List.of(f1.get(60, TimeUnit.SECONDS), f2.get(60, TimeUnit.SECONDS));
        } finally {
            server.storage().probe(Probe.NONE);
        }
    }

    static HttpResponse<byte[]> resume(ObjectStoreServer server, String key, int from, String etag) throws Exception {
        return etag == null
                ? send("GET", object(server, "s5", key), null, "Range", "bytes=" + from + "-")
                : send("GET", object(server, "s5", key), null, "Range", "bytes=" + from + "-", "If-Range", etag);
    }

    static URI object(ObjectStoreServer server, String bucket, String key) {
        return URI.create(server.baseUrl() + "buckets/" + bucket + "/objects/" + key);
    }

    static HttpResponse<byte[]> send(String method, URI uri, byte[] body, String... headers) throws Exception {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            map.put(headers[i], List.of(headers[i + 1]));
        }
        return Http.send(method, uri, map, body);
    }

    /** A recognizable body: chunk i of version {@code label} repeats "label#i ". */
    static byte[] version(String label, int chunks) {
        byte[] body = new byte[chunks * CHUNK];
        for (int i = 0; i < chunks; i++) {
            byte[] unit = (label + "#" + i + " ").getBytes(StandardCharsets.US_ASCII);
            for (int j = 0; j < CHUNK; j++) {
                body[i * CHUNK + j] = unit[j % unit.length];
            }
        }
        return body;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    static String quoted(String s) {
        return "\"" + s + "\"";
    }

    static String sha(byte[] body) {
        EntityTagGenerator.Digest d = Builtins.sha256Generator().start();
        d.update(body, 0, body.length);
        return d.finish().toString();
    }

    /** What a body is, chunk by chunk, in terms of known versions. */
    static String describe(byte[] body, byte[]... versions) {
        StringBuilder sb = new StringBuilder(body.length + " bytes [");
        for (int i = 0; i * CHUNK < body.length; i++) {
            byte[] chunk = Arrays.copyOfRange(body, i * CHUNK, Math.min(body.length, (i + 1) * CHUNK));
            String which = "?";
            for (byte[] v : versions) {
                if ((i + 1) * CHUNK <= v.length && Arrays.equals(chunk, Arrays.copyOfRange(v, i * CHUNK, (i + 1) * CHUNK))) {
                    String text = new String(chunk, 0, Math.min(chunk.length, 16), StandardCharsets.US_ASCII);
                    which = text.substring(0, text.indexOf('#'));
                }
            }
            sb.append(i == 0 ? "" : " ").append(which);
        }
        return sb.append(']').toString();
    }

    /** A response's status, body and ETag. */
    record Got(int status, byte[] body, String etag) {
        static Got of(HttpResponse<byte[]> r) {
            return new Got(r.statusCode(), r.body(), Http.header(r, "ETag"));
        }

        boolean etagMatchesBody() {
            return etag != null && etag.equals(sha(body));
        }

        /** What is wrong with this answer to a download of an object that was one of {@code versions}. */
        List<String> problemsAsDownloadOf(Mode mode, byte[]... versions) {
            List<String> problems = new ArrayList<>();
            if (status == 404) {
                return problems;
            }
            if (status != 200) {
                problems.add("status " + status);
                return problems;
            }
            if (Arrays.stream(versions).noneMatch(v -> Arrays.equals(v, body))) {
                problems.add("a torn download: " + describe(body, versions) + " of " + versions[0].length);
            }
            if (mode.guard && !etagMatchesBody()) {
                problems.add("an ETag that is not that of the bytes");
            }
            return problems;
        }
    }

    /** An object as GET and the bucket listing see it. */
    record State(Got got, JsonNode listed) {
        /** Problems unless the object is exactly {@code expected}, consistently. */
        List<String> problemsAgainst(byte[] expected, Mode mode, byte[] other, String otherName) {
            List<String> problems = new ArrayList<>();
            if (got.status() != 200) {
                problems.add("GET answered " + got.status() + (listed != null ? " while the listing shows it" : ""));
            } else if (!Arrays.equals(got.body(), expected)) {
                problems.add(Arrays.equals(got.body(), other)
                        ? "the object is " + otherName + ", not the one received last"
                        : "the object is " + describe(got.body(), expected, other) + ", a mix of both uploads");
            } else if (mode.guard && !got.etagMatchesBody()) {
                problems.add("its ETag is not that of its bytes");
            }
            if (listed == null) {
                problems.add("not in the listing");
            } else if (!listed.path("etag").asString().equals(quoted(ObjectStorage.md5(got.body())))
                    || listed.path("size").asLong() != got.body().length) {
                problems.add("the listing shows size " + listed.path("size").asLong() + " and the ETag of "
                        + (listed.path("etag").asString().equals(quoted(ObjectStorage.md5(other))) ? otherName
                                : "other bytes")
                        + ", not of the object's " + got.body().length + " bytes");
            }
            return problems;
        }

        /** Problems unless the object is gone from GET and from the listing. */
        List<String> problemsIfPresent(String when) {
            List<String> problems = new ArrayList<>();
            if (listed != null) {
                problems.add(when + ", the listing shows the object (size " + listed.path("size").asLong() + ")"
                        + (got.status() == 404 ? " but GET says 404: metadata without data" : ""));
            }
            if (got.status() != 404) {
                problems.add(when + ", GET answers " + got.status() + " with " + got.body().length + " bytes");
            }
            return problems;
        }
    }

    static State state(ObjectStoreServer server, String bucket, String key) throws Exception {
        Got got = Got.of(send("GET", object(server, bucket, key), null));
        JsonNode listing = JSON.readTree(send("GET", URI.create(server.baseUrl() + "buckets/" + bucket), null).body());
        JsonNode entry = null;
        for (JsonNode o : listing.path("objects")) {
            if (o.path("key").asString().equals(key)) {
                entry = o;
            }
        }
        return new State(got, entry);
    }

    /** Counts the attempts in which something was wrong, and says what. */
    static final class Tally {
        private final String scenario;
        private final Mode mode;
        private final List<String> problems = new ArrayList<>();
        private int attempts;
        private int anomalous;

        Tally(String scenario, Mode mode) {
            this.scenario = scenario;
            this.mode = mode;
        }

        void attempt(int attempt, List<String> found) {
            attempts++;
            if (!found.isEmpty()) {
                anomalous++;
                found.forEach(p -> problems.add("attempt " + attempt + ": " + p));
            }
        }

        List<String> problems() {
            return problems;
        }

        private void report() {
            System.out.printf("[races] %s, %s: anomaly in %d of %d attempts%s%n", scenario, mode, anomalous, attempts,
                    problems.isEmpty() ? "" : ", e.g. " + problems.get(0));
        }

        /** Without the guard: the anomaly showed at least once. With it: never. */
        void assertShownWithoutGuard() {
            report();
            if (mode.guard) {
                assertThat(problems).as("%s with %s", scenario, mode).isEmpty();
            } else {
                assertThat(anomalous).as("attempts of '%s' without the guard that showed the anomaly", scenario)
                        .isPositive();
            }
        }

        void assertShownAnyway(String why) {
            report();
            assertThat(anomalous).as("%s: %s", scenario, why).isPositive();
        }

        void assertNever() {
            report();
            assertThat(problems).as("%s with %s", scenario, mode).isEmpty();
        }
    }
}
