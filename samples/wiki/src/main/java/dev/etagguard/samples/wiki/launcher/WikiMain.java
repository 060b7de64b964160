package dev.etagguard.samples.wiki.launcher;

import java.io.PrintStream;
import java.util.List;

import dev.etagguard.samples.launcher.Arguments;
import dev.etagguard.samples.launcher.SampleMain;
import dev.etagguard.samples.launcher.WebappServer;

/**
 * {@code java -jar etag-guard-wiki.jar [--port=N] [--adapter=NAME]}: serves the wiki webapp on
 * 127.0.0.1 (see {@link SampleMain}: the one stdout line {@code Listening on http://127.0.0.1:PORT/},
 * exit codes, SIGTERM).
 */
public final class WikiMain {

    static final int DEFAULT_PORT = 8080;

    private WikiMain() {}

    /** Runs the launcher. */
    public static void main(String[] args) throws InterruptedException {
        SampleMain.run("etag-guard-wiki", args, WikiMain::usage, WikiMain::parse,
                options -> WikiServer.start(options.adapter(), options.port()));
    }

    private static void usage(PrintStream out) {
        List<String> adapters = WebappServer.ADAPTERS;
        out.println("usage: java -jar etag-guard-wiki.jar [--port=N] [--adapter=NAME]");
        out.println("  --port=N        port on 127.0.0.1, 0 picks a free one (default " + DEFAULT_PORT + ")");
        out.println("  --adapter=NAME  " + adapters.get(0) + " (default) | "
                + String.join(" | ", adapters.subList(1, adapters.size())));
    }

    /** The options of a command line. */
    record Options(int port, String adapter) {}

    static Options parse(String... args) {
        Arguments arguments = Arguments.parse(List.of("--port", "--adapter"), args);
        return new Options(arguments.port(DEFAULT_PORT), arguments.oneOf("--adapter", WebappServer.ADAPTERS));
    }
}
