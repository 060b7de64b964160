package dev.etagguard.samples.objectstore.launcher;

import dev.etagguard.samples.launcher.Arguments;
import dev.etagguard.samples.launcher.SampleMain;
import dev.etagguard.samples.objectstore.ObjectStorage;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * {@code java -jar etag-guard-object-store.jar [--port=N] [--guard=on|off] [--read-permits=on|off]
 * [--require-preconditions=on|off] [--chunk-size=BYTES] [--chunk-delay=MS] [--metadata-delay=MS]}: serves the object store on
 * 127.0.0.1 (see {@link SampleMain}: the one stdout line {@code Listening on http://127.0.0.1:PORT/},
 * exit codes, SIGTERM).
 */
public final class ObjectStoreMain {

    static final int DEFAULT_PORT = 8080;

    private static final String NAME = "etag-guard-object-store";

    private ObjectStoreMain() {}

    /** Runs the launcher. */
    public static void main(String[] args) throws InterruptedException {
        SampleMain.run(NAME, args, ObjectStoreMain::usage, ObjectStoreMain::parse, options -> {
            ObjectStoreServer server = ObjectStoreServer.start(options);
            System.err.println(NAME + ": " + options.describe() + ", " + options.delays());
            return server;
        });
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
        Arguments a = Arguments.parse(List.of("--port", "--guard", "--read-permits", "--require-preconditions",
                "--chunk-size", "--chunk-delay", "--metadata-delay"), args);
        ObjectStoreServer.Options o = ObjectStoreServer.Options.defaults();
        ObjectStorage.Delays d = o.delays();
        return new ObjectStoreServer.Options(a.port(DEFAULT_PORT), a.onOff("--guard", o.guard()),
                a.onOff("--read-permits", o.readPermits()),
                a.onOff("--require-preconditions", o.preconditionsRequired()),
                new ObjectStorage.Delays(Math.max(1, a.number("--chunk-size", d.chunkSize())),
                        Duration.ofMillis(a.number("--chunk-delay", (int) d.chunkDelay().toMillis())),
                        Duration.ofMillis(a.number("--metadata-delay", (int) d.metadataDelay().toMillis()))));
    }
}
