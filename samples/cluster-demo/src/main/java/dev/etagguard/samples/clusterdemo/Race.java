package dev.etagguard.samples.clusterdemo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The race: {@code clients} clients, each repeating a read-modify-write cycle on one of
 * {@code documents} documents for {@code duration}, through a round-robin load balancer (every
 * request goes to the next instance, so a cycle reads from one instance and writes to another). A
 * cycle reads the document, appends a line of its own ({@code c3-17}: client 3, cycle 17) and writes
 * the whole text back with {@code If-Match} and the ETag it read. Then the race counts what the
 * clients saw and which acknowledged lines are missing from the final documents: lost updates.
 *
 * @param clients concurrent clients
 * @param documents the documents they share (client {@code c} writes document {@code c % documents})
 * @param duration how long the clients run
 */
record Race(int clients, int documents, Duration duration) {

    /**
     * What the clients saw.
     *
     * @param writes writes sent that got an answer
     * @param acknowledged writes answered 2xx
     * @param lost acknowledged writes whose line is missing from the final document
     * @param preconditionFailed writes answered 412: the document had changed since the read
     * @param conflicts writes answered 409: a write with a newer permit went ahead (the storage's fence or the
     *     guard's commit)
     * @param unavailable writes answered 503
     * @param other other answers, and requests that failed (reads included)
     * @param writeMillis the writes' latency, sorted, in milliseconds
     */
    record Result(long writes, long acknowledged, long lost, long preconditionFailed, long conflicts, long unavailable,
            long other, double[] writeMillis) {

        /** The {@code p}-th percentile (0-100) of the write latency in milliseconds; 0 without writes. */
        double percentile(double p) {
            if (writeMillis.length == 0) {
                return 0;
            }
            int rank = (int) Math.ceil(p / 100 * writeMillis.length);
            return writeMillis[Math.max(0, rank - 1)];
        }
    }

    /** The documents' path on every instance. */
    static String path(int document) {
        return "/docs/doc-" + document;
    }

    /**
     * Creates the documents (through the first instance), runs the clients and counts.
     *
     * @param instances the instances behind the load balancer
     * @param storage their shared storage, read at the end for the final documents
     * @param progress where a progress line goes every second (rewritten in place when {@code console})
     * @param label the progress line's first word
     */
    Result run(List<Instance> instances, Documents storage, PrintStream progress, boolean console, String label)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        AtomicLong turn = new AtomicLong();
        for (int d = 0; d < documents; d++) {
            HttpRequest.Builder create = HttpRequest.newBuilder(instances.get(0).uri(path(d)))
                    .header("If-None-Match", "*").PUT(HttpRequest.BodyPublishers.ofString("doc-" + d + "\n"));
            int status = send(http, create).statusCode();
            if (status != 201) {
                throw new IllegalStateException("creating " + path(d) + " on " + instances.get(0) + " answered "
                        + status);
            }
        }
        AtomicLong writes = new AtomicLong();
        AtomicLong preconditionFailed = new AtomicLong();
        AtomicLong conflicts = new AtomicLong();
        AtomicLong unavailable = new AtomicLong();
        AtomicLong other = new AtomicLong();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        List<List<Long>> latencies = new ArrayList<>();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String path = path(c % documents);
                String client = "c" + c;
                List<Long> nanos = new ArrayList<>();
                latencies.add(nanos);
                running.add(pool.submit(() -> {
                    for (int n = 0; System.nanoTime() < deadline; n++) {
                        try {
                            HttpResponse<String> read = send(http, HttpRequest.newBuilder(next(instances, turn, path)));
                            if (read.statusCode() != 200) {
                                other.incrementAndGet();
                                continue;
                            }
                            String line = client + "-" + n;
                            HttpRequest.Builder write = HttpRequest.newBuilder(next(instances, turn, path))
                                    .PUT(HttpRequest.BodyPublishers.ofString(read.body() + line + "\n"));
                            read.headers().firstValue("ETag").ifPresent(tag -> write.header("If-Match", tag));
                            long sent = System.nanoTime();
                            int status = send(http, write).statusCode();
                            nanos.add(System.nanoTime() - sent);
                            writes.incrementAndGet();
                            if (status / 100 == 2) {
                                acknowledged.add(line);
                            } else {
                                (switch (status) {
                                    case 412 -> preconditionFailed;
                                    case 409 -> conflicts;
                                    case 503 -> unavailable;
                                    default -> other;
                                }).incrementAndGet();
                            }
                        } catch (IOException e) {
                            other.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            pool.shutdown();
            do {
                double elapsed = Math.min((System.nanoTime() - start) / 1e9, duration.toSeconds());
                String line = String.format(Locale.ROOT, "  %-8s %4.1f s  writes %6d  acknowledged %6d  412 %6d  "
                        + "409 %4d  503 %4d", label, elapsed, writes.get(), acknowledged.size(),
                        preconditionFailed.get(), conflicts.get(), unavailable.get());
                progress.print(console ? "\r" + line : line + "\n");
                progress.flush();
            } while (!pool.awaitTermination(console ? 200 : 1000, TimeUnit.MILLISECONDS));
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        if (console) {
            progress.println();
        }
        Set<String> present = ConcurrentHashMap.newKeySet();
        for (int d = 0; d < documents; d++) {
            String text = storage.read(path(d).substring("/docs/".length()));
            present.addAll(Arrays.asList(text == null ? new String[0] : text.split("\n")));
        }
        long lost = acknowledged.stream().filter(line -> !present.contains(line)).count();
        double[] millis = latencies.stream().flatMap(List::stream).mapToDouble(n -> n / 1e6).sorted().toArray();
        return new Result(writes.get(), acknowledged.size(), lost, preconditionFailed.get(), conflicts.get(),
                unavailable.get(), other.get(), millis);
    }

    /** The load balancer: the path on the next instance, round robin over every request of every client. */
    private static URI next(List<Instance> instances, AtomicLong turn, String path) {
        return instances.get((int) (turn.getAndIncrement() % instances.size())).uri(path);
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
