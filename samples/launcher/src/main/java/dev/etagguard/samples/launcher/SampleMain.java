package dev.etagguard.samples.launcher;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The {@code main} of every sample launcher ({@code java -jar etag-guard-NAME.jar}): prints exactly
 * one line to stdout, the ready line {@code Listening on http://127.0.0.1:PORT/}, once serving;
 * everything else goes to stderr, each message prefixed with the sample's name. {@code --help} or
 * {@code -h} prints the usage. Exit code {@value #EXIT_USAGE} for bad arguments,
 * {@value #EXIT_FAILURE} when the server does not start. Stops cleanly on SIGTERM / Ctrl-C.
 */
public final class SampleMain {

    /** The exit code for bad arguments. */
    public static final int EXIT_USAGE = 2;

    /** The exit code when the server does not start. */
    public static final int EXIT_FAILURE = 1;

    /** Starts a sample's server from its options. */
    @FunctionalInterface
    public interface Starter<O> {
        /**
         * Starts the server and returns once it is serving.
         *
         * @throws Exception when it does not start
         */
        SampleServer start(O options) throws Exception;
    }

    private SampleMain() {}

    /**
     * Runs a sample: parses {@code args}, starts the server, prints the ready line and serves until
     * the JVM is told to stop.
     *
     * @param name the sample's name for its messages, such as {@code etag-guard-wiki}
     * @param args the command line
     * @param usage prints the usage
     * @param parse reads the options, throwing {@link IllegalArgumentException} for a bad argument
     *     ({@code --help} and {@code -h} are taken out first)
     * @param starter starts the server
     */
    public static <O> void run(String name, String[] args, Consumer<PrintStream> usage, Function<String[], O> parse,
            Starter<O> starter) throws InterruptedException {
        List<String> rest = new ArrayList<>(List.of(args));
        boolean help = rest.removeAll(List.of("--help", "-h"));
        O options = parseOrExit(name, rest.toArray(String[]::new), usage, parse);
        if (help) {
            usage.accept(System.err);
            return;
        }

        AtomicReference<SampleServer> running = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            SampleServer server = running.getAndSet(null);
            if (server != null) {
                System.err.println(name + ": stopping");
                server.close();
            }
        }, name + "-shutdown"));

        SampleServer server;
        try {
            server = starter.start(options);
        } catch (Exception e) {
            System.err.println(name + ": could not start: " + e);
            e.printStackTrace(System.err);
            System.exit(EXIT_FAILURE);
            return;
        }
        running.set(server);

        printReadyLine(SampleServer.HOST, server.port());

        // Server threads may be daemons (Tomcat's are): keep the JVM up until a signal ends it.
        new CountDownLatch(1).await();
    }

    /**
     * Reads the options, or reports the bad argument with the usage on stderr and exits with
     * {@value #EXIT_USAGE}.
     */
    public static <O> O parseOrExit(String name, String[] args, Consumer<PrintStream> usage,
            Function<String[], O> parse) {
        try {
            return parse.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println(name + ": " + e.getMessage());
            usage.accept(System.err);
            System.exit(EXIT_USAGE);
            throw e;
        }
    }

    /** Prints the samples' ready line, {@code Listening on http://HOST:PORT/}, to stdout. */
    public static void printReadyLine(String host, int port) {
        System.out.println("Listening on http://" + host + ":" + port + "/");
        System.out.flush();
    }
}
