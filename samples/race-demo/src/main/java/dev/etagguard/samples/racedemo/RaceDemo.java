package dev.etagguard.samples.racedemo;

import dev.etagguard.GuardEngine;
import dev.etagguard.samples.launcher.Arguments;
import dev.etagguard.samples.launcher.SampleMain;
import dev.etagguard.samples.objectstore.ObjectStorage;
import dev.etagguard.samples.objectstore.launcher.ObjectStoreServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code java -jar etag-guard-race-demo.jar [--seconds=N] [--clients=N] [--objects=N]}: many
 * clients doing read-modify-write on a few objects of the object store sample, on embedded Tomcat,
 * three times: without the guard, with it ({@code guardedPaths=/buckets/*}), and with it and
 * {@code readPermits}. Each client reads
 * an object (a list of lines), appends a line of its own and writes it back, with {@code If-Match}
 * when the read gave an ETag, and starts over on 412. Afterwards the demo reads every object and
 * counts the acknowledged writes whose line is missing: lost updates. Clients that hold a copy with
 * an ETag read with {@code If-None-Match} and reuse the copy on 304. Prints a progress line while
 * it runs, then two tables: what the clients saw, and what the guard counted through its listener
 * (the numbers of the starter's Micrometer meters: lost updates prevented, bytes not sent thanks to
 * 304s, retries recognized, permit waits, the largest queue). Exit code 2 for bad arguments, 1 when
 * the guard lost a write (never).
 */
public final class RaceDemo {

    /** The storage of the demo: 256-byte chunks, 1 ms per chunk, 5 ms for the metadata. */
    static final ObjectStorage.Delays DELAYS =
            new ObjectStorage.Delays(256, Duration.ofMillis(1), Duration.ofMillis(5));

    /** Keeps the quietened loggers alive (java.util.logging holds them weakly). */
    private static final List<Logger> QUIET = new ArrayList<>();

    private RaceDemo() {}

    /**
     * How to run the demo.
     *
     * @param duration how long each phase runs
     * @param clients concurrent clients
     * @param objects the objects they share
     */
    public record Options(Duration duration, int clients, int objects) {

        /** 5 s per phase, 16 clients, 4 objects. */
        public static final Options DEFAULT = new Options(Duration.ofSeconds(5), 16, 4);

        /** Checks the values. */
        public Options {
            if (duration.isNegative() || duration.isZero() || clients < 1 || objects < 1) {
                throw new IllegalArgumentException("duration, clients and objects must be positive");
            }
        }
    }

    /**
     * What one phase did.
     *
     * @param mode the server's mode
     * @param attempted writes sent
     * @param succeeded writes acknowledged (2xx)
     * @param lost acknowledged writes missing from the final objects
     * @param retries writes refused with 412, or 428 for a write without precondition (the client
     *     read again and retried)
     * @param reads reads completed
     * @param seconds how long the clients ran
     * @param guard what the guard's listener counted
     */
    public record Row(String mode, long attempted, long succeeded, long lost, long retries, long reads, double seconds,
            GuardCounters.Snapshot guard) {
        /** Acknowledged writes per second. */
        public double writesPerSecond() {
            return succeeded / seconds;
        }

        /** Reads per second. */
        public double readsPerSecond() {
            return reads / seconds;
        }
    }

    /** Runs the demo. */
    public static void main(String[] args) throws Exception {
        Options options = SampleMain.parseOrExit("etag-guard-race-demo", args,
                out -> out.println("usage: java -jar etag-guard-race-demo.jar [--seconds=N] [--clients=N] [--objects=N]"),
                RaceDemo::parse);
        // Only the table: Tomcat's start-up and shut-down notes, and the guard's note that it is
        // off in the first run, would bury it.
        for (String name : List.of("", "org.apache", "dev.etagguard")) {
            Logger logger = Logger.getLogger(name);
            logger.setLevel(Level.SEVERE);
            QUIET.add(logger);
        }
        List<Row> rows = run(options, System.out, System.console() != null);
        boolean guardLost = rows.stream().skip(1).anyMatch(r -> r.lost() > 0);
        System.exit(guardLost ? 1 : 0);
    }

    static Options parse(String... args) {
        Arguments a = Arguments.parse(List.of("--seconds", "--clients", "--objects"), args);
        Options d = Options.DEFAULT;
        return new Options(Duration.ofSeconds(a.number("--seconds", (int) d.duration().toSeconds())),
                a.number("--clients", d.clients()), a.number("--objects", d.objects()));
    }

    /**
     * Runs the three phases and prints the table.
     *
     * @param out where the progress and the table go
     * @param console whether {@code out} is a terminal (the progress line is then rewritten in place)
     * @return the rows: guard off, guard on, guard on + readPermits
     */
    public static List<Row> run(Options options, PrintStream out, boolean console) throws Exception {
        out.printf(Locale.ROOT, "ETag Guard race demo: %d clients read-modify-write %d objects of a slow object store, "
                + "%d s per run.%n", options.clients(), options.objects(), options.duration().toSeconds());
        out.println("Each client reads an object, appends a line and writes it back (If-Match when it has an ETag).");
        List<Row> rows = new ArrayList<>();
        ObjectStoreServer.Options off = new ObjectStoreServer.Options(0, false, false, false, DELAYS);
        ObjectStoreServer.Options on = off.guard(true).preconditionsRequired(true);
        for (ObjectStoreServer.Options mode : List.of(off, on, on.readPermits(true))) {
            rows.add(phase(mode, options, out, console));
        }
        out.println();
        table(rows, out);
        Row unguarded = rows.get(0);
        out.printf(Locale.ROOT, "%nWithout the guard %d of %d acknowledged writes were lost: the store applied writes "
                + "made from stale or torn reads. With it (guardedPaths=/buckets/*) none were: a write based on a stale "
                + "read got 412, one without a precondition 428 (its read was torn down to nothing, so it had no ETag), "
                + "and its client read again. With readPermits no read is torn.%n", unguarded.lost(), unguarded.succeeded());
        return rows;
    }

    private static Row phase(ObjectStoreServer.Options mode, Options options, PrintStream out, boolean console)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        GuardCounters counters = new GuardCounters();
        try (ObjectStoreServer server = ObjectStoreServer.start(mode, counters)) {
            GuardEngine engine = server.engine();
            AtomicInteger maxQueue = new AtomicInteger();
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    maxQueue.accumulateAndGet(engine.sequencer().waitingPermits(), Math::max);
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "race-demo-queue-sampler");
            sampler.setDaemon(true);
            sampler.start();
            List<URI> objects = new ArrayList<>();
            for (int i = 0; i < options.objects(); i++) {
                URI uri = URI.create(server.baseUrl() + "buckets/demo/objects/doc-" + i);
                int created = send(http, HttpRequest.newBuilder(uri).header("If-None-Match", "*")
                        .PUT(HttpRequest.BodyPublishers.ofString("doc-" + i + "\n"))).statusCode();
                if (created != 201) {
                    throw new IllegalStateException("creating " + uri + " answered " + created);
                }
                objects.add(uri);
            }
            AtomicLong attempted = new AtomicLong();
            AtomicLong retries = new AtomicLong();
            AtomicLong reads = new AtomicLong();
            AtomicLong required = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            AtomicLong finished = new AtomicLong();
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            long start = System.nanoTime();
            long deadline = start + options.duration().toNanos();
            ExecutorService clients = Executors.newFixedThreadPool(options.clients());
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < options.clients(); c++) {
                    URI object = objects.get(c % objects.size());
                    String client = "c" + c;
                    running.add(clients.submit(() -> {
                        String cachedTag = null;
                        String cachedBody = null;
                        for (int n = 0; System.nanoTime() < deadline; n++) {
                            try {
                                HttpRequest.Builder get = HttpRequest.newBuilder(object).GET();
                                if (cachedTag != null) {
                                    get.header("If-None-Match", cachedTag);
                                }
                                HttpResponse<String> read = send(http, get);
                                reads.incrementAndGet();
                                String body;
                                String tag;
                                if (read.statusCode() == 304 && cachedTag != null) {
                                    body = cachedBody;
                                    tag = cachedTag;
                                } else if (read.statusCode() == 200) {
                                    body = read.body();
                                    tag = read.headers().firstValue("ETag").orElse(null);
                                } else {
                                    errors.incrementAndGet();
                                    continue;
                                }
                                String line = client + "-" + n;
                                String updated = body + line + "\n";
                                HttpRequest.Builder write = HttpRequest.newBuilder(object)
                                        .PUT(HttpRequest.BodyPublishers.ofString(updated));
                                if (tag != null) {
                                    write.header("If-Match", tag);
                                }
                                attempted.incrementAndGet();
                                HttpResponse<String> written = send(http, write);
                                int status = written.statusCode();
                                // The new ETag comes back when the stored bytes are the request's: keep the copy.
                                cachedTag = status / 100 == 2 ? written.headers().firstValue("ETag").orElse(null) : tag;
                                cachedBody = status / 100 == 2 ? updated : body;
                                if (status / 100 == 2) {
                                    acknowledged.add(line);
                                } else if (status == 412) {
                                    retries.incrementAndGet();
                                } else if (status == 428) {
                                    // A read torn down to nothing carried no ETag, so the write had no precondition.
                                    required.incrementAndGet();
                                } else {
                                    errors.incrementAndGet();
                                }
                            } catch (IOException e) {
                                errors.incrementAndGet();
                            }
                        }
                        finished.accumulateAndGet(System.nanoTime(), Math::max);
                        return null;
                    }));
                }
                while (!running.stream().allMatch(Future::isDone)) {
                    double elapsed = Math.min((System.nanoTime() - start) / 1e9, options.duration().toSeconds());
                    String progress = String.format(Locale.ROOT, "  %-24s %4.1f s  writes %6d  acknowledged %6d  412 %6d",
                            mode.describe(), elapsed, attempted.get(), acknowledged.size(), retries.get());
                    if (console) {
                        out.print("\r" + progress);
                    } else {
                        out.println(progress);
                    }
                    out.flush();
                    Thread.sleep(console ? 200 : 1000);
                }
                for (Future<?> f : running) {
                    f.get();
                }
            } finally {
                clients.shutdownNow();
                sampler.interrupt();
            }
            double seconds = (finished.get() - start) / 1e9;
            Set<String> present = new HashSet<>();
            for (URI object : objects) {
                present.addAll(List.of(send(http, HttpRequest.newBuilder(object).GET()).body().split("\n")));
            }
            long lost = acknowledged.stream().filter(line -> !present.contains(line)).count();
            Row row = new Row(mode.describe(), attempted.get(), acknowledged.size(), lost, retries.get() + required.get(),
                    reads.get(), seconds, counters.snapshot(maxQueue.get()));
            String done = String.format(Locale.ROOT, "  %-24s done: %d writes acknowledged, %d lost; refused: %d with 412, "
                    + "%d with 428%s", row.mode(), row.succeeded(), row.lost(), retries.get(), required.get(),
                    errors.get() == 0 ? "" : "; " + errors.get() + " other answers or errors");
            out.println(console ? "\r" + done + " ".repeat(30) : done);
            return row;
        }
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** Prints the rows as two tables: what the clients saw, what the guard counted. */
    static void table(List<Row> rows, PrintStream out) {
        String format = "%-24s %8s %10s %7s %16s %9s %8s%n";
        out.printf(Locale.ROOT, format, "", "writes", "succeeded", "lost", "412/428 retries", "writes/s", "reads/s");
        for (Row r : rows) {
            out.printf(Locale.ROOT, format, r.mode(), r.attempted(), r.succeeded(), r.lost(), r.retries(),
                    String.format(Locale.ROOT, "%.0f", r.writesPerSecond()),
                    String.format(Locale.ROOT, "%.0f", r.readsPerSecond()));
        }
        out.println();
        out.println("What the guard counted (GuardListener; the Spring Boot starter's meters):");
        String guard = "%-24s %14s %6s %15s %10s %13s %13s %10s%n";
        out.printf(Locale.ROOT, guard, "", "lost updates", "304s", "bytes not sent", "retries", "permit waits",
                "mean wait ms", "max queue");
        out.printf(Locale.ROOT, guard, "", "prevented", "", "", "recognized", "", "", "");
        for (Row r : rows) {
            GuardCounters.Snapshot g = r.guard();
            out.printf(Locale.ROOT, guard, r.mode(), g.lostUpdatesPrevented(), g.notModified(), g.bytesNotSent(),
                    g.retriesRecognized(), g.permitWaits(), String.format(Locale.ROOT, "%.1f", g.meanWaitMillis()),
                    g.maxQueue());
        }
    }
}
