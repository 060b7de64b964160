package dev.etagguard.samples.launcher;

import java.nio.file.Path;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.jetty.ETagGuardHandler;
import dev.etagguard.servlet.ETagGuardFilter;

import org.eclipse.jetty.ee11.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.jspecify.annotations.Nullable;

/** A webapp on embedded Jetty 12 (ee11), from the web.xml in its document base. */
final class OnJetty extends WebappServer {

    private final String name;
    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);
    private final WebAppContext webapp = new WebAppContext();

    OnJetty(Webapp app, String adapter, Path docBase, int port) {
        super(adapter, docBase.getParent());
        name = app.name();
        connector.setHost(HOST);
        connector.setPort(port);
        server.addConnector(connector);

        webapp.setContextPath("/");
        webapp.setWar(docBase.toString());
        webapp.setDescriptor(docBase.resolve("WEB-INF").resolve("web.xml").toString());
        webapp.setParentLoaderPriority(true); // the classes come from the launcher's class path
        webapp.setThrowUnavailableOnStartupException(true);
        // No webdefault-ee11.xml (DefaultServlet, JSP): the webapp is exactly its web.xml, and an
        // unmapped path is a plain 404 for every method, as on Tomcat. Jetty's implicit default
        // servlet would answer 405 to anything but GET, so it goes too.
        webapp.setDefaultsDescriptor(null);
        webapp.getServletHandler().setEnsureDefaultServlet(false);
        app.options().forEach((option, value) ->
                webapp.setInitParameter(ETagGuardFilter.CONTEXT_PARAMETER_PREFIX + option, value));
        app.attributes().forEach(webapp::setAttribute);
        if (adapter.equals(JETTY_HANDLER)) {
            ETagGuardHandler guard = new ETagGuardHandler(
                    GuardSettings.builder().guardedPaths(app.guardedPaths()).build());
            guard.setHandler(webapp);
            server.setHandler(guard);
        } else {
            server.setHandler(webapp);
        }
    }

    @Override
    void startContainer() throws Exception {
        server.start();
        if (!webapp.isAvailable()) {
            throw new IllegalStateException("the " + name + " webapp failed to start on Jetty (see the log above)");
        }
    }

    @Override
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public @Nullable Object attribute(String attribute) {
        return webapp.getServletContext().getAttribute(attribute);
    }

    @Override
    void stopContainer() throws Exception {
        server.stop();
        server.destroy();
    }
}
