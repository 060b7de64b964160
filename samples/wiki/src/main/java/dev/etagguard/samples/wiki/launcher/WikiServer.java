package dev.etagguard.samples.wiki.launcher;

import java.util.Map;

import dev.etagguard.samples.launcher.Webapp;
import dev.etagguard.samples.launcher.WebappServer;

/**
 * The wiki webapp, started from its own {@code WEB-INF/web.xml} (the one packaged in {@code wiki.war})
 * on embedded Tomcat or Jetty, guarded by the filter of that web.xml or by the valve or the Jetty
 * handler in its place (guardedPaths {@code /articles/*}, as in the web.xml), bound to 127.0.0.1
 * only. Used by {@link WikiMain} and by tests.
 */
public final class WikiServer {

    /** The wiki: its web.xml, and the valve's or the Jetty handler's guardedPaths. */
    static final Webapp WIKI = new Webapp("wiki", WikiServer.class, "/articles/*", Map.of(), Map.of());

    private WikiServer() {}

    /**
     * Starts the wiki and returns once it is serving.
     *
     * @param adapter one of {@link WebappServer#ADAPTERS}
     * @param port the port to bind on 127.0.0.1; 0 picks a free one
     * @throws IllegalArgumentException for an unknown adapter or a port outside 0-65535
     * @throws Exception when the server or the webapp does not start
     */
    public static WebappServer start(String adapter, int port) throws Exception {
        return WebappServer.start(WIKI, adapter, port);
    }
}
