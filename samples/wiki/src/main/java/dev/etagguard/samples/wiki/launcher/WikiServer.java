package dev.etagguard.samples.wiki.launcher;

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

import dev.etagguard.GuardSettings;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.tomcat.ETagGuardValve;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ApplicationParameter;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.eclipse.jetty.ee11.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The wiki webapp, started from its own {@code WEB-INF/web.xml} (the one packaged in {@code wiki.war})
 * on embedded Tomcat or Jetty, guarded by the filter of that web.xml or, on Tomcat, by the valve,
 * bound to {@value #HOST} only. Used by {@link WikiMain} and by tests.
 */
public final class WikiServer implements AutoCloseable {

    /** Tomcat 11, the default adapter. */
    public static final String TOMCAT = "servlet-filter-tomcat";

    /** Jetty 12 (ee11). */
    public static final String JETTY = "servlet-filter-jetty";

    /**
     * Tomcat 11 with the {@code ETagGuardValve} in its Host (guardedPaths {@code /articles/*}) and the
     * web.xml filter switched off by the context parameter {@code dev.etagguard.enabled=false}.
     */
    public static final String TOMCAT_VALVE = "tomcat-valve";

    /** Every adapter name {@link #start} accepts; the first is the default. */
    /**
     * The wiki on embedded Jetty behind {@code ETagGuardHandler} (Jetty's core API), with the
     * web.xml filter switched off by the context parameter {@code dev.etagguard.enabled=false}.
     */
    public static final String JETTY_HANDLER = "jetty-handler";

    /** Every adapter, the default first. */
    public static final List<String> ADAPTERS = List.of(TOMCAT, JETTY, TOMCAT_VALVE, JETTY_HANDLER);

    /** The only interface the server listens on. */
    public static final String HOST = "127.0.0.1";

    /** The webapp's deployment descriptor on the class path (copied there from src/main/webapp). */
    static final String WEB_XML_RESOURCE = "/webapp/WEB-INF/web.xml";

    private final String adapter;
    private final int port;
    private final Stopper stopper;
    private final AtomicBoolean closed = new AtomicBoolean();

    private WikiServer(String adapter, int port, Stopper stopper) {
        this.adapter = adapter;
        this.port = port;
        this.stopper = stopper;
    }

    /**
     * Starts the webapp and returns once it is serving.
     *
     * @param adapter one of {@link #ADAPTERS}
     * @param port the port to bind on {@value #HOST}; 0 picks a free one
     * @throws IllegalArgumentException for an unknown adapter or a port outside 0-65535
     * @throws Exception when the server or the webapp does not start
     */
    public static WikiServer start(String adapter, int port) throws Exception {
        Objects.requireNonNull(adapter, "adapter");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535: " + port);
        }
        return switch (adapter) {
            case TOMCAT -> startTomcat(TOMCAT, port);
            case TOMCAT_VALVE -> startTomcat(TOMCAT_VALVE, port);
            case JETTY -> startJetty(JETTY, port);
            case JETTY_HANDLER -> startJetty(JETTY_HANDLER, port);
            default -> throw new IllegalArgumentException(
                    "unknown adapter '" + adapter + "' (expected one of " + String.join(", ", ADAPTERS) + ")");
        };
    }

    /** The adapter this server runs on. */
    public String adapter() {
        return adapter;
    }

    /** The port actually bound. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public String baseUrl() {
        return "http://" + HOST + ":" + port + "/";
    }

    /** Stops the server and removes its temporary files; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                stopper.stop();
            } catch (Exception e) {
                throw new IllegalStateException("stopping " + adapter + " failed", e);
            }
        }
    }

    @FunctionalInterface
    private interface Stopper {
        void stop() throws Exception;
    }

    private static WikiServer startTomcat(String adapter, int port) throws Exception {
        Path base = Files.createTempDirectory("etag-guard-wiki-tomcat-");
        Tomcat tomcat = null;
        try {
            Path docBase = base.resolve("webapp");
            extractWebXml(docBase.resolve("WEB-INF").resolve("web.xml"));
            Files.createDirectories(base.resolve("webapps"));

            tomcat = new Tomcat();
            tomcat.setBaseDir(base.toString());
            Connector connector = new Connector();
            connector.setPort(port);
            connector.setProperty("address", HOST);
            connector.setThrowOnFailure(true);
            tomcat.setConnector(connector);
            tomcat.getHost().setAutoDeploy(false);
            // No DefaultServlet/JspServlet from Tomcat's defaults: the webapp is exactly its web.xml, and
            // unmapped paths get a plain 404 for every method (as on Jetty).
            tomcat.setAddDefaultWebXmlToWebapp(false);
            if (adapter.equals(TOMCAT_VALVE)) {
                // As server.xml would: <Valve className="dev.etagguard.tomcat.ETagGuardValve" guardedPaths="/articles/*"/>
                ETagGuardValve valve = new ETagGuardValve();
                valve.setGuardedPaths("/articles/*");
                tomcat.getHost().getPipeline().addValve(valve);
            }

            Context context = tomcat.addWebapp("", docBase.toString());
            if (adapter.equals(TOMCAT_VALVE)) {
                // As context.xml would: <Parameter name="dev.etagguard.enabled" value="false" override="false"/>
                ApplicationParameter filterOff = new ApplicationParameter();
                filterOff.setName(ETagGuardFilter.CONTEXT_PARAMETER_PREFIX + "enabled");
                filterOff.setValue("false");
                filterOff.setOverride(false);
                context.addApplicationParameter(filterOff);
            }
            StandardJarScanner scanner = new StandardJarScanner();
            scanner.setScanManifest(false);
            scanner.setScanClassPath(false);
            context.setJarScanner(scanner);
            context.setParentClassLoader(WikiServer.class.getClassLoader());
            if (context instanceof StandardContext standard) {
                standard.setDelegate(true); // parent first: the classes come from the launcher's class path
            }

            tomcat.start();
            if (connector.getState() != LifecycleState.STARTED || connector.getLocalPort() <= 0) {
                throw new IllegalStateException("Tomcat connector did not start on " + HOST + ":" + port);
            }
            if (!context.getState().isAvailable()) {
                throw new IllegalStateException("the wiki webapp failed to start on Tomcat (see the log above)");
            }
            Tomcat started = tomcat;
            return new WikiServer(adapter, connector.getLocalPort(), () -> {
                try {
                    started.stop();
                    started.destroy();
                } finally {
                    forgetCatalinaDirs(base);
                    deleteRecursively(base);
                }
            });
        } catch (Exception | Error e) {
            try {
                if (tomcat != null) {
                    tomcat.stop();
                    tomcat.destroy();
                }
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                forgetCatalinaDirs(base);
                deleteRecursively(base);
            }
            throw e;
        }
    }

    /**
     * Embedded Tomcat records its base directory in the catalina.base and catalina.home system
     * properties, and the next Tomcat started in the same JVM adopts (and re-creates) that
     * catalina.home: clear them once the directory is gone.
     */
    private static void forgetCatalinaDirs(Path base) {
        for (String property : List.of("catalina.base", "catalina.home")) {
            String value = System.getProperty(property);
            if (value != null && Path.of(value).toAbsolutePath().startsWith(base.toAbsolutePath())) {
                System.clearProperty(property);
            }
        }
    }

    private static WikiServer startJetty(String adapter, int port) throws Exception {
        Path base = Files.createTempDirectory("etag-guard-wiki-jetty-");
        Server server = new Server();
        try {
            Path docBase = base.resolve("webapp");
            Path descriptor = docBase.resolve("WEB-INF").resolve("web.xml");
            extractWebXml(descriptor);

            ServerConnector connector = new ServerConnector(server);
            connector.setHost(HOST);
            connector.setPort(port);
            server.addConnector(connector);

            WebAppContext webapp = new WebAppContext();
            webapp.setContextPath("/");
            webapp.setWar(docBase.toString());
            webapp.setDescriptor(descriptor.toString());
            webapp.setParentLoaderPriority(true); // the classes come from the launcher's class path
            webapp.setThrowUnavailableOnStartupException(true);
            // No webdefault-ee11.xml (DefaultServlet, JSP): the webapp is exactly its web.xml, and an
            // unmapped path is a plain 404 for every method, as on Tomcat. Jetty's implicit default
            // servlet would answer 405 to anything but GET, so it goes too.
            webapp.setDefaultsDescriptor(null);
            webapp.getServletHandler().setEnsureDefaultServlet(false);
            if (adapter.equals(JETTY_HANDLER)) {
                webapp.setInitParameter("dev.etagguard.enabled", "false");
                ETagGuardHandler guard = new ETagGuardHandler(
                        GuardSettings.builder().guardedPaths("/articles/*").build());
                guard.setHandler(webapp);
                server.setHandler(guard);
            } else {
                server.setHandler(webapp);
            }

            server.start();
            if (!webapp.isAvailable()) {
                throw new IllegalStateException("the wiki webapp failed to start on Jetty (see the log above)");
            }
            return new WikiServer(adapter, connector.getLocalPort(), () -> {
                try {
                    server.stop();
                    server.destroy();
                } finally {
                    deleteRecursively(base);
                }
            });
        } catch (Exception | Error e) {
            try {
                server.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                deleteRecursively(base);
            }
            throw e;
        }
    }

    private static InputStream webXml() {
        InputStream in = WikiServer.class.getResourceAsStream(WEB_XML_RESOURCE);
        if (in == null) {
            throw new IllegalStateException(WEB_XML_RESOURCE + " is not on the class path");
        }
        return in;
    }

    private static void extractWebXml(Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (InputStream in = webXml()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }
}
