package dev.etagguard.samples.objectstore.launcher;

import dev.etagguard.samples.objectstore.ObjectStorage;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code java -jar etag-guard-object-store.jar [--port=N] [--guard=on|off] [--read-permits=on|off]
 * [--require-preconditions=on|off] [--chunk-size=BYTES] [--chunk-delay=MS] [--metadata-delay=MS]}: serves the object store on
 * 127.0.0.1. Prints exactly one line to stdout, {@code Listening on http://127.0.0.1:PORT/}, once
 * serving; everything else goes to stderr. Exit code 2 for bad arguments, 1 when the server does
 * not start. Stops cleanly on SIGTERM / Ctrl-C.
 */
public final class ObjectStoreMain {

    static final int DEFAULT_PORT = 8080;
    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILURE = 1;

    private ObjectStoreMain() {}

    /** Runs the launcher. */
    public static void main(String[] args) throws InterruptedException {
        ObjectStoreServer.Options options;
        boolean help;
        try {
            help = java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h");
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("etag-guard-object-store: " + e.getMessage());
            usage(System.err);
            System.exit(EXIT_USAGE);
            return;
        }
        if (help) {
            usage(System.err);
            return;
        }

        AtomicReference<ObjectStoreServer> running = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ObjectStoreServer server = running.getAndSet(null);
            if (server != null) {
                System.err.println("etag-guard-object-store: stopping");
                server.close();
            }
        }, "etag-guard-object-store-shutdown"));

        ObjectStoreServer server;
        try {
            server = ObjectStoreServer.start(options);
        } catch (Exception e) {
            System.err.println("etag-guard-object-store: could not start: " + e);
            e.printStackTrace(System.err);
            System.exit(EXIT_FAILURE);
            return;
        }
        running.set(server);
        System.err.println("etag-guard-object-store: " + options.describe() + ", " + options.delays());

        System.out.println("Listening on " + server.baseUrl());
        System.out.flush();

        // Tomcat's threads are daemons: keep the JVM up until a signal ends it.
        new CountDownLatch(1).await();
    }

    private static void usage(PrintStream out) {
        out.println("usage: java -jar etag-guard-object-store.jar [--port=N] [--guard=on|off] [--read-permits=on|off]");
        out.println("           [--require-preconditions=on|off] [--chunk-size=BYTES] [--chunk-delay=MS] [--metadata-delay=MS]");
        out.println("  --port=N            port on 127.0.0.1, 0 picks a free one (default " + DEFAULT_PORT + ")");
        out.println("  --guard=on|off      ETag Guard in front of the store (default on)");
        out.println("  --read-permits=on|off  downloads take a shared permit (default on, with the guard)");
        out.println("  --require-preconditions=on|off  PUT/DELETE of objects without If-Match etc. get 428 (default off)");
        ObjectStorage.Delays d = ObjectStorage.Delays.DEFAULT;
        out.println("  --chunk-size, --chunk-delay, --metadata-delay  how slow the storage is (default "
                + d.chunkSize() + " bytes, " + d.chunkDelay().toMillis() + " ms, " + d.metadataDelay().toMillis() + " ms)");
    }

    /** The options of a command line. */
    static ObjectStoreServer.Options parse(String... args) {
        ObjectStoreServer.Options o = ObjectStoreServer.Options.defaults().port(DEFAULT_PORT);
        ObjectStorage.Delays d = o.delays();
        int chunkSize = d.chunkSize();
        long chunkDelay = d.chunkDelay().toMillis();
        long metadataDelay = d.metadataDelay().toMillis();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            String value = eq < 0 ? "" : arg.substring(eq + 1);
            switch (name) {
                case "--port" -> {
                    int port = number(name, value);
                    if (port > 65535) {
                        throw new IllegalArgumentException("--port must be 0-65535, got " + port);
                    }
                    o = o.port(port);
                }
                case "--guard" -> o = o.guard(onOff(name, value));
                case "--read-permits" -> o = o.readPermits(onOff(name, value));
                case "--require-preconditions" -> o = o.preconditionsRequired(onOff(name, value));
                case "--chunk-size" -> chunkSize = Math.max(1, number(name, value));
                case "--chunk-delay" -> chunkDelay = number(name, value);
                case "--metadata-delay" -> metadataDelay = number(name, value);
                case "--help", "-h" -> { }
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
            }
        }
        return o.delays(new ObjectStorage.Delays(chunkSize, Duration.ofMillis(chunkDelay),
                Duration.ofMillis(metadataDelay)));
    }

    private static int number(String name, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a number >= 0, got '" + value + "'");
        }
    }

    private static boolean onOff(String name, String value) {
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(name + " must be on or off, got '" + value + "'");
        };
    }
}
