package dev.etagguard.samples.wiki.launcher;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code java -jar etag-guard-wiki.jar [--port=N] [--adapter=NAME]}: serves the wiki webapp on
 * 127.0.0.1. Prints exactly one line to stdout, {@code Listening on http://127.0.0.1:PORT/}, once
 * serving; everything else goes to stderr. Exit code 2 for bad arguments, 1 when the server does
 * not start. Stops cleanly on SIGTERM / Ctrl-C.
 */
public final class WikiMain {

    static final int DEFAULT_PORT = 8080;
    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILURE = 1;

    private WikiMain() {}

    public static void main(String[] args) throws InterruptedException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("etag-guard-wiki: " + e.getMessage());
            usage(System.err);
            System.exit(EXIT_USAGE);
            return;
        }
        if (options.help()) {
            usage(System.err);
            return;
        }

        AtomicReference<WikiServer> running = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            WikiServer server = running.getAndSet(null);
            if (server != null) {
                System.err.println("etag-guard-wiki: stopping");
                server.close();
            }
        }, "etag-guard-wiki-shutdown"));

        WikiServer server;
        try {
            server = WikiServer.start(options.adapter(), options.port());
        } catch (Exception e) {
            System.err.println("etag-guard-wiki: could not start on " + options.adapter() + ": " + e);
            e.printStackTrace(System.err);
            System.exit(EXIT_FAILURE);
            return;
        }
        running.set(server);

        System.out.println("Listening on " + server.baseUrl());
        System.out.flush();

        // Server threads may be daemons (Tomcat's are): keep the JVM up until a signal ends it.
        new CountDownLatch(1).await();
    }

    private static void usage(PrintStream out) {
        out.println("usage: java -jar etag-guard-wiki.jar [--port=N] [--adapter=NAME]");
        out.println("  --port=N        port on 127.0.0.1, 0 picks a free one (default " + DEFAULT_PORT + ")");
        out.println("  --adapter=NAME  " + WikiServer.ADAPTERS.get(0) + " (default) | "
                + String.join(" | ", WikiServer.ADAPTERS.subList(1, WikiServer.ADAPTERS.size())));
    }

    record Options(int port, String adapter, boolean help) {

        static Options parse(String... args) {
            int port = DEFAULT_PORT;
            String adapter = WikiServer.ADAPTERS.get(0);
            boolean help = false;
            for (String arg : args) {
                if (arg.startsWith("--port=")) {
                    String value = arg.substring("--port=".length());
                    try {
                        port = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--port needs a number, got '" + value + "'");
                    }
                    if (port < 0 || port > 65535) {
                        throw new IllegalArgumentException("--port must be 0-65535, got " + port);
                    }
                } else if (arg.startsWith("--adapter=")) {
                    adapter = arg.substring("--adapter=".length());
                    if (!WikiServer.ADAPTERS.contains(adapter)) {
                        throw new IllegalArgumentException("unknown adapter '" + adapter + "' (expected one of "
                                + String.join(", ", WikiServer.ADAPTERS) + ")");
                    }
                } else if (arg.equals("--help") || arg.equals("-h")) {
                    help = true;
                } else {
                    throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
            return new Options(port, adapter, help);
        }
    }
}
