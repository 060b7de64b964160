package dev.etagguard.samples.objectstore.launcher;

import dev.etagguard.GuardEngine;
import dev.etagguard.samples.objectstore.ObjectStorage;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.spi.GuardListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ApplicationParameter;
import org.apache.tomcat.util.scan.StandardJarScanner;

/**
 * The object store webapp, started from its own {@code WEB-INF/web.xml} (the one packaged in
 * {@code object-store.war}) on embedded Tomcat, bound to {@value #HOST} only. The guard of that
 * web.xml is switched off, or its read permits, the way an administrator would: with the context
 * parameters {@code dev.etagguard.enabled=false} and {@code dev.etagguard.readPermits=false} (and
 * preconditions required with {@code dev.etagguard.guardedPaths=/buckets/*}).
 * The storage is created here, with the given delays, and handed to the servlet. Used by
 * {@link ObjectStoreMain}, the race demo and tests.
 */
public final class ObjectStoreServer implements AutoCloseable {

    /** The only interface the server listens on. */
    public static final String HOST = "127.0.0.1";

    /** The webapp's deployment descriptor on the class path (copied there from src/main/webapp). */
    static final String WEB_XML_RESOURCE = "/webapp/WEB-INF/web.xml";

    /**
     * How to run the store.
     *
     * @param port the port on {@value #HOST}; 0 picks a free one
     * @param guard whether the ETag Guard filter is on
     * @param readPermits whether reads take shared permits (only with the guard on)
     * @param preconditionsRequired whether writes to objects must be conditional (the guard's
     *     {@code guardedPaths=/buckets/*}: a PUT or DELETE without If-Match, If-None-Match or
     *     If-Unmodified-Since gets 428)
     * @param delays how slow the storage is
     */
    public record Options(int port, boolean guard, boolean readPermits, boolean preconditionsRequired,
            ObjectStorage.Delays delays) {

        /** Checks the values. */
        public Options {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0-65535: " + port);
            }
            Objects.requireNonNull(delays, "delays");
        }

        /** On a free port, guarded with read permits, with the default delays. */
        public static Options defaults() {
            return new Options(0, true, true, false, ObjectStorage.Delays.DEFAULT);
        }

        /** The same with the guard on or off. */
        public Options guard(boolean on) {
            return new Options(port, on, readPermits, preconditionsRequired, delays);
        }

        /** The same with read permits on or off. */
        public Options readPermits(boolean on) {
            return new Options(port, guard, on, preconditionsRequired, delays);
        }

        /** The same with preconditions required on writes, or not. */
        public Options preconditionsRequired(boolean on) {
            return new Options(port, guard, readPermits, on, delays);
        }

        /** The same with other delays. */
        public Options delays(ObjectStorage.Delays d) {
            return new Options(port, guard, readPermits, preconditionsRequired, d);
        }

        /** The same on another port. */
        public Options port(int p) {
            return new Options(p, guard, readPermits, preconditionsRequired, delays);
        }

        /** {@code guard off}, {@code guard on} or {@code guard on + readPermits}. */
        public String describe() {
            return !guard ? "guard off" : readPermits ? "guard on + readPermits" : "guard on";
        }
    }

    private final Options options;
    private final int port;
    private final ObjectStorage storage;
    private final Tomcat tomcat;
    private final Path base;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ObjectStoreServer(Options options, int port, ObjectStorage storage, Tomcat tomcat, Path base) {
        this.options = options;
        this.port = port;
        this.storage = storage;
        this.tomcat = tomcat;
        this.base = base;
    }

    /**
     * Starts the store and returns once it is serving.
     *
     * @throws Exception when the server or the webapp does not start
     */
    public static ObjectStoreServer start(Options options) throws Exception {
        return start(options, GuardListener.none());
    }

    /**
     * Starts the store with {@code listener} hearing the guard's engine (through the servlet context
     * attribute {@link ETagGuardFilter#LISTENER_ATTRIBUTE}), and returns once it is serving.
     *
     * @throws Exception when the server or the webapp does not start
     */
    public static ObjectStoreServer start(Options options, GuardListener listener) throws Exception {
        ObjectStorage storage = new ObjectStorage(options.delays());
        Path base = Files.createTempDirectory("etag-guard-object-store-");
        Tomcat tomcat = null;
        try {
            Path docBase = base.resolve("webapp");
            Path webXml = docBase.resolve("WEB-INF").resolve("web.xml");
            Files.createDirectories(webXml.getParent());
            try (InputStream in = ObjectStoreServer.class.getResourceAsStream(WEB_XML_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(WEB_XML_RESOURCE + " is not on the class path");
                }
                Files.copy(in, webXml, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.createDirectories(base.resolve("webapps"));

            tomcat = new Tomcat();
            tomcat.setBaseDir(base.toString());
            Connector connector = new Connector();
            connector.setPort(options.port());
            connector.setProperty("address", HOST);
            connector.setThrowOnFailure(true);
            tomcat.setConnector(connector);
            tomcat.getHost().setAutoDeploy(false);
            tomcat.setAddDefaultWebXmlToWebapp(false);

            Context context = tomcat.addWebapp("", docBase.toString());
            if (!options.guard()) {
                parameter(context, "enabled", "false");
            }
            if (!options.readPermits()) {
                parameter(context, "readPermits", "false");
            }
            if (options.preconditionsRequired()) {
                parameter(context, "guardedPaths", "/buckets/*");
            }
            context.addServletContainerInitializer(
                    (classes, servletContext) -> {
                        servletContext.setAttribute(ObjectStorage.ATTRIBUTE, storage);
                        servletContext.setAttribute(ETagGuardFilter.LISTENER_ATTRIBUTE, listener);
                    }, null);
            StandardJarScanner scanner = new StandardJarScanner();
            scanner.setScanManifest(false);
            scanner.setScanClassPath(false);
            context.setJarScanner(scanner);
            context.setParentClassLoader(ObjectStoreServer.class.getClassLoader());
            if (context instanceof StandardContext standard) {
                standard.setDelegate(true); // parent first: the classes come from the launcher's class path
            }

            tomcat.start();
            if (connector.getState() != LifecycleState.STARTED || connector.getLocalPort() <= 0) {
                throw new IllegalStateException("Tomcat connector did not start on " + HOST + ":" + options.port());
            }
            if (!context.getState().isAvailable()) {
                throw new IllegalStateException("the object store webapp failed to start (see the log above)");
            }
            return new ObjectStoreServer(options, connector.getLocalPort(), storage, tomcat, base);
        } catch (Exception | Error e) {
            try {
                if (tomcat != null) {
                    tomcat.stop();
                    tomcat.destroy();
                }
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                cleanUp(base);
            }
            throw e;
        }
    }

    /** As a {@code context.xml} {@code <Parameter name="dev.etagguard.NAME" value="..." override="false"/>}. */
    private static void parameter(Context context, String option, String value) {
        ApplicationParameter p = new ApplicationParameter();
        p.setName(ETagGuardFilter.CONTEXT_PARAMETER_PREFIX + option);
        p.setValue(value);
        p.setOverride(false);
        context.addApplicationParameter(p);
    }

    /** How it runs. */
    public Options options() {
        return options;
    }

    /** The engine of the webapp's ETag Guard filter (it exists, switched off, when the guard is off). */
    public GuardEngine engine() {
        Context context = (Context) tomcat.getHost().findChild("");
        return (GuardEngine) context.getServletContext().getAttribute(ETagGuardFilter.ENGINE_ATTRIBUTE);
    }

    /** The port actually bound. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public String baseUrl() {
        return "http://" + HOST + ":" + port + "/";
    }

    /** The storage behind the servlet. */
    public ObjectStorage storage() {
        return storage;
    }

    /** Stops the server and removes its temporary files; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                tomcat.stop();
                tomcat.destroy();
            } catch (Exception e) {
                throw new IllegalStateException("stopping Tomcat failed", e);
            } finally {
                cleanUp(base);
            }
        }
    }

    /**
     * Removes the base directory, and the catalina.base/home system properties that embedded Tomcat
     * set to it (the next Tomcat in this JVM would adopt them).
     */
    private static void cleanUp(Path base) {
        for (String property : List.of("catalina.base", "catalina.home")) {
            String value = System.getProperty(property);
            if (value != null && Path.of(value).toAbsolutePath().startsWith(base.toAbsolutePath())) {
                System.clearProperty(property);
            }
        }
        if (!Files.exists(base)) {
            return;
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
