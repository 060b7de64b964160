package dev.etagguard.samples.clusterdemo;

import dev.etagguard.GuardEngine;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.servlet.ETagGuardFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletContainerInitializer;
import java.net.URI;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.jspecify.annotations.Nullable;

/**
 * One instance of the service behind the load balancer: an embedded server on a free port of
 * 127.0.0.1, running a {@link DocumentServlet} behind the guard, with an engine of its own. The
 * three kinds, one per instance: Tomcat with the {@link ETagGuardFilter}, Jetty (ee11) with the
 * filter, and Jetty with the {@link ETagGuardHandler} in front of its servlet context. Each is
 * configured in code, as the README's "Running several instances" shows: build the engine, give it
 * to the adapter. Not thread-safe; {@link #close()} stops the server (the engine is its maker's).
 */
public abstract class Instance implements AutoCloseable {

    /** The three instances' kinds, in the order they are started. */
    public static final List<String> KINDS = List.of("Tomcat + filter", "Jetty + filter", "Jetty + handler");

    private final String kind;

    private Instance(String kind) {
        this.kind = kind;
    }

    /**
     * Starts the instance of kind {@code KINDS.get(index)}.
     *
     * @param servlet the service
     * @param engine the instance's guard engine
     * @param work a directory of its own for the server's files (Tomcat's)
     */
    public static Instance start(int index, Servlet servlet, GuardEngine engine, Path work) throws Exception {
        return switch (index) {
            case 0 -> new OnTomcat(servlet, new ETagGuardFilter(engine), work);
            case 1 -> new OnJetty(KINDS.get(1), servlet, new ETagGuardFilter(engine), null);
            case 2 -> new OnJetty(KINDS.get(2), servlet, null, new ETagGuardHandler(engine));
            default -> throw new IllegalArgumentException("no instance " + index);
        };
    }

    /** How the instance runs, such as {@code Jetty + handler}. */
    public String kind() {
        return kind;
    }

    /** The port it listens on. */
    public abstract int port();

    /** {@code http://127.0.0.1:PORT}{@code path}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Stops the server. */
    @Override
    public void close() {
        try {
            stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping " + kind + ": " + e.getMessage(), e);
        }
    }

    /** Stops the server. */
    abstract void stop() throws Exception;

    @Override
    public String toString() {
        return kind + " on 127.0.0.1:" + port();
    }

    /**
     * The service and, unless {@code guard} is null, the guard's filter in front of it, registered
     * at start with the Servlet API, as the README's programmatic use does (the same on Tomcat and
     * Jetty): the guard for every path, REQUEST and ASYNC dispatches.
     */
    private static ServletContainerInitializer webapp(Servlet servlet, @Nullable Filter guard) {
        return (classes, context) -> {
            context.addServlet("documents", servlet).addMapping(DocumentServlet.PATH);
            if (guard != null) {
                FilterRegistration.Dynamic filter = context.addFilter("etagGuard", guard);
                filter.setAsyncSupported(true);
                filter.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC), false, "/*");
            }
        };
    }

    private static final class OnTomcat extends Instance {
        private final Tomcat tomcat = new Tomcat();
        private final Connector connector = new Connector();

        OnTomcat(Servlet servlet, Filter guard, Path work) throws Exception {
            super(KINDS.get(0));
            tomcat.setBaseDir(work.toString());
            connector.setPort(0);
            connector.setProperty("address", "127.0.0.1");
            connector.setThrowOnFailure(true);
            tomcat.setConnector(connector);
            tomcat.addContext("", work.toString()).addServletContainerInitializer(webapp(servlet, guard), null);
            tomcat.start();
        }

        @Override
        public int port() {
            return connector.getLocalPort();
        }

        @Override
        void stop() throws LifecycleException {
            tomcat.stop();
            tomcat.destroy();
        }
    }

    private static final class OnJetty extends Instance {
        private final Server server = new Server();
        private final ServerConnector connector = new ServerConnector(server);

        OnJetty(String kind, Servlet servlet, @Nullable Filter filter, @Nullable ETagGuardHandler handler)
                throws Exception {
            super(kind);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            context.addServletContainerInitializer(webapp(servlet, filter));
            if (handler != null) {
                // Jetty's core API: the guard wraps the servlet context, no servlet types involved.
                handler.setHandler(context);
                server.setHandler(handler);
            } else {
                server.setHandler(context);
            }
            server.start();
        }

        @Override
        public int port() {
            return connector.getLocalPort();
        }

        @Override
        void stop() throws Exception {
            server.stop();
        }
    }
}
