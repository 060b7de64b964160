package dev.etagguard.samples.clusterdemo;

import dev.etagguard.GuardEngine;
import dev.etagguard.cluster.servers.Binaries;
import dev.etagguard.samples.launcher.Arguments;
import dev.etagguard.samples.launcher.SampleMain;
import dev.etagguard.settings.GuardSettings;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * {@code java -jar etag-guard-cluster-demo.jar [--store=redis|postgres|local] [--seconds=N]}: several
 * instances behind a load balancer, with nothing installed. It starts the server the store needs (a
 * Redis, or a PostgreSQL, from the Maven artifacts the jar carries, on free ports of 127.0.0.1),
 * three guarded instances of a small service ({@link DocumentServlet}: Tomcat with the filter, Jetty
 * with the filter, Jetty with the handler) that keep their documents in one shared storage
 * ({@link Documents}, fenced with the permits' fencing tokens), and races read-modify-write clients
 * against them through a round-robin load balancer ({@link Race}). With {@code --store=local} each
 * instance guards alone, and updates are lost; with {@code redis} or {@code postgres} the instances
 * share the guard's state there, and none is.
 *
 * <p>Prints a progress line on stderr while it runs, then on stdout a table (writes, acknowledged,
 * lost, 412, 409, 503, write p50 and p99) and, as the very last line, for scripts:
 * {@code <store>: <N> acknowledged, <M> lost}. Exit code 0 whatever it counted;
 * {@value SampleMain#EXIT_USAGE} for bad arguments; {@value SampleMain#EXIT_FAILURE} when it could
 * not run (a server did not start). The servers are stopped and the run's files deleted at exit,
 * Ctrl-C included; the servers' unpacked binaries stay in the user's cache ({@link Binaries}).
 */
public final class ClusterDemo {

    private static final String NAME = "etag-guard-cluster-demo";

    /** Concurrent clients. */
    static final int CLIENTS = 8;

    /** The documents they share: few, so that writes meet. */
    static final int DOCUMENTS = 2;

    /** How long the service works between receiving a document and storing it. */
    static final Duration WORK = Duration.ofMillis(2);

    /** Each instance's guard: writes to the documents must be conditional (else 428). */
    static final GuardSettings SETTINGS = GuardSettings.builder().guardedPaths("/docs/*").build();

    /** Keeps the quietened loggers alive (java.util.logging holds them weakly). */
    private static final List<Logger> QUIET = new ArrayList<>();

    private ClusterDemo() {}

    /**
     * How to run the demo.
     *
     * @param store where the instances keep the guard's state: {@code redis}, {@code postgres} or {@code local}
     * @param duration how long the clients run
     */
    public record Options(String store, Duration duration) {

        /** {@code --store=redis}, 5 seconds. */
        public static final Options DEFAULT = new Options(GuardState.REDIS, Duration.ofSeconds(5));

        /** Checks the values. */
        public Options {
            if (!GuardState.STORES.contains(store)) {
                throw new IllegalArgumentException("unknown store '" + store + "' (expected one of "
                        + String.join(", ", GuardState.STORES) + ")");
            }
            if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("--seconds must be at least 1, got " + duration.toSeconds());
            }
        }
    }

    /** Runs the demo. */
    public static void main(String[] args) throws Exception {
        Options options = SampleMain.parseOrHelp(NAME, args, out -> out.println(
                "usage: java -jar etag-guard-cluster-demo.jar [--store=redis|postgres|local] [--seconds=N]"),
                ClusterDemo::parse);
        if (options == null) {
            return;
        }
        // Only the table: the servers', Redisson's and the pool's notes would bury it.
        for (String name : List.of("", "org.apache", "org.eclipse.jetty", "org.redisson", "com.zaxxer", "io.netty",
                "dev.etagguard")) {
            Logger logger = Logger.getLogger(name);
            logger.setLevel(Level.SEVERE);
            QUIET.add(logger);
        }
        Closer closer = new Closer(NAME);
        Runtime.getRuntime().addShutdownHook(new Thread(closer::close, NAME + "-shutdown"));

        List<Instance> instances = new ArrayList<>();
        Documents storage = new Documents();
        GuardState state;
        try {
            Path work = Files.createTempDirectory(NAME + "-");
            closer.add(() -> Binaries.deleteTree(work));
            long started = System.nanoTime();
            state = GuardState.start(options.store(), work, closer);
            System.err.printf(Locale.ROOT, "%s: %s (%.1f s)%n", NAME, state.description(), seconds(started));
            started = System.nanoTime();
            for (int i = 0; i < Instance.KINDS.size(); i++) {
                GuardEngine engine = state.engine(SETTINGS);
                Path dir = Files.createDirectory(work.resolve("instance-" + i));
                instances.add(closer.add(Instance.start(i, new DocumentServlet(storage, WORK), engine, dir)));
            }
            System.err.printf(Locale.ROOT, "%s: three instances on ports %s (%.1f s)%n", NAME,
                    instances.stream().map(in -> Integer.toString(in.port())).collect(Collectors.joining(", ")),
                    seconds(started));
        } catch (Exception e) {
            if (closer.closed()) {
                return; // stopped (Ctrl-C) while starting: the shutdown hook is closing everything
            }
            System.err.println(NAME + ": could not start: " + (e.getMessage() == null ? e : e.getMessage()));
            if (!(e instanceof IllegalStateException)) {
                e.printStackTrace(System.err);
            }
            closer.close();
            System.exit(SampleMain.EXIT_FAILURE);
            return;
        }

        PrintStream out = System.out;
        out.printf(Locale.ROOT, "ETag Guard cluster demo: three instances of one service on one shared storage (%s);%n"
                + "guard state: %s (--store=%s).%n", String.join(", ", Instance.KINDS), state.description(),
                options.store());
        out.printf(Locale.ROOT, "%d clients, %d documents, %d s: each client reads a document from one instance, "
                + "appends a line and writes it%nback to the next instance with If-Match (round robin).%n%n", CLIENTS,
                DOCUMENTS, options.duration().toSeconds());
        Race.Result result;
        try {
            result = new Race(CLIENTS, DOCUMENTS, options.duration())
                    .run(instances, storage, System.err, System.console() != null, options.store());
        } catch (Exception e) {
            if (closer.closed()) {
                return; // stopped (Ctrl-C) mid-run
            }
            System.err.println(NAME + ": could not run the race: " + e.getMessage());
            closer.close();
            System.exit(SampleMain.EXIT_FAILURE);
            return;
        }
        table(options.store(), result, out);
        out.println();
        out.println(explanation(options.store(), result));
        out.printf(Locale.ROOT, "%s: %d acknowledged, %d lost%n", options.store(), result.acknowledged(),
                result.lost());
        out.flush();
        closer.close();
        System.exit(0);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static Options parse(String... args) {
        Arguments a = Arguments.parse(List.of("--store", "--seconds"), args);
        Options d = Options.DEFAULT;
        return new Options(a.oneOf("--store", GuardState.STORES),
                Duration.ofSeconds(a.number("--seconds", (int) d.duration().toSeconds())));
    }

    /** Prints the result as a table of one row. */
    static void table(String store, Race.Result r, PrintStream out) {
        String format = "%-10s %8s %13s %7s %7s %7s %7s %11s %11s%n";
        out.printf(Locale.ROOT, format, "", "writes", "acknowledged", "lost", "412", "409", "503", "write p50",
                "write p99");
        out.printf(Locale.ROOT, format, store, r.writes(), r.acknowledged(), r.lost(), r.preconditionFailed(),
                r.conflicts(), r.unavailable(), String.format(Locale.ROOT, "%.1f ms", r.percentile(50)),
                String.format(Locale.ROOT, "%.1f ms", r.percentile(99)));
        if (r.other() > 0) {
            out.printf(Locale.ROOT, "(%d other answers or failed requests)%n", r.other());
        }
    }

    /** What the row means. */
    static String explanation(String store, Race.Result r) {
        String counted = r.lost() + " of " + r.acknowledged() + " acknowledged writes were lost.";
        if (store.equals(GuardState.LOCAL)) {
            return "Each instance guarded alone: a write's If-Match was checked against the ETag its own instance had "
                    + "last seen, not\nagainst the latest write through another one, so writes made from stale reads "
                    + "passed and overwrote newer ones.\n" + counted + " Run with --store=redis or --store=postgres to "
                    + "share the guard's state.";
        }
        return "The instances shared the guard's state: each write was checked against the latest write through any "
                + "instance (a\nstale If-Match got 412) and held its document's permit while the service stored it, "
                + "fenced with the permit's\ntoken (a stale token gets 409). " + counted;
    }
}
