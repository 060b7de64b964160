package dev.etagguard.samples.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * A {@link Webapp} started from its own {@code web.xml} on embedded Tomcat 11 or Jetty 12 (ee11),
 * bound to {@value SampleServer#HOST} only, behind one of the guard's adapters: the web.xml's
 * filter, or the Tomcat valve or the Jetty handler in its place (the filter then switched off with
 * the context parameter {@code dev.etagguard.enabled=false}). The Tomcat adapters need Tomcat on the
 * class path (and the valve, {@code etag-guard-tomcat}); the Jetty ones Jetty's ee11 webapp and
 * {@code etag-guard-jetty}. An unmapped path is a plain 404 for every method on both containers
 * (neither's default servlet is added). Thread-safe.
 */
public abstract class WebappServer implements SampleServer {

    /** Tomcat 11 with the web.xml filter, the default adapter. */
    public static final String TOMCAT = "servlet-filter-tomcat";

    /** Jetty 12 (ee11) with the web.xml filter. */
    public static final String JETTY = "servlet-filter-jetty";

    /** Tomcat 11 with the {@code ETagGuardValve} in its Host ({@link Webapp#guardedPaths()}). */
    public static final String TOMCAT_VALVE = "tomcat-valve";

    /** Jetty 12 with {@code ETagGuardHandler}, Jetty's core API, in front ({@link Webapp#guardedPaths()}). */
    public static final String JETTY_HANDLER = "jetty-handler";

    /** Every adapter, the default first. */
    public static final List<String> ADAPTERS = List.of(TOMCAT, JETTY, TOMCAT_VALVE, JETTY_HANDLER);

    private final String adapter;
    private final Path base;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A server for {@code adapter} whose temporary files are below {@code base}. */
    WebappServer(String adapter, Path base) {
        this.adapter = adapter;
        this.base = base;
    }

    /**
     * Starts {@code webapp} and returns once it is serving.
     *
     * @param adapter one of {@link #ADAPTERS}
     * @param port the port to bind on {@value SampleServer#HOST}; 0 picks a free one
     * @throws IllegalArgumentException for an unknown adapter or a port outside 0-65535
     * @throws Exception when the server or the webapp does not start
     */
    public static WebappServer start(Webapp webapp, String adapter, int port) throws Exception {
        if (!ADAPTERS.contains(adapter)) {
            throw new IllegalArgumentException(
                    "unknown adapter '" + adapter + "' (expected one of " + String.join(", ", ADAPTERS) + ")");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535: " + port);
        }
        // As context.xml would: <Parameter name="dev.etagguard.enabled" value="false" override="false"/>
        Webapp app = adapter.equals(TOMCAT_VALVE) || adapter.equals(JETTY_HANDLER)
                ? webapp.option("enabled", "false") : webapp;
        Path base = Files.createTempDirectory("etag-guard-" + webapp.name() + "-");
        WebappServer server = null;
        try {
            Path docBase = base.resolve("webapp");
            extractWebXml(webapp, docBase.resolve("WEB-INF").resolve("web.xml"));
            server = adapter.equals(TOMCAT) || adapter.equals(TOMCAT_VALVE)
                    ? new OnTomcat(app, adapter, docBase, port)
                    : new OnJetty(app, adapter, docBase, port);
            server.startContainer();
            return server;
        } catch (Exception | Error e) {
            try {
                if (server != null) {
                    server.stopContainer();
                }
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                cleanUp(base);
            }
            throw e;
        }
    }

    /** The adapter this server runs on. */
    public String adapter() {
        return adapter;
    }

    /** The webapp's servlet context attribute {@code name}, or {@code null}. */
    public abstract @Nullable Object attribute(String name);

    /** Starts the container and returns once the webapp serves. */
    abstract void startContainer() throws Exception;

    /** Stops the container (also after a failed start). */
    abstract void stopContainer() throws Exception;

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                stopContainer();
            } catch (Exception e) {
                throw new IllegalStateException("stopping " + adapter + " failed", e);
            } finally {
                cleanUp(base);
            }
        }
    }

    private static void extractWebXml(Webapp webapp, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (InputStream in = webapp.classes().getResourceAsStream(Webapp.WEB_XML)) {
            if (in == null) {
                throw new IllegalStateException(Webapp.WEB_XML + " is not on the class path");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Removes the base directory, and the catalina.base and catalina.home system properties that
     * embedded Tomcat set to it: the next Tomcat started in this JVM would adopt (and re-create) them.
     */
    private static void cleanUp(Path base) {
        for (String property : List.of("catalina.base", "catalina.home")) {
            String value = System.getProperty(property);
            if (value != null && Path.of(value).toAbsolutePath().startsWith(base.toAbsolutePath())) {
                System.clearProperty(property);
            }
        }
        try (Stream<Path> paths = Files.walk(base)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete " + base + ": " + e);
        }
    }
}
