package dev.etagguard.samples.launcher;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.tomcat.ETagGuardValve;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ApplicationParameter;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.jspecify.annotations.Nullable;

/** A webapp on embedded Tomcat 11, its base directory the parent of the document base. */
final class OnTomcat extends WebappServer {

    private final String name;
    private final Tomcat tomcat = new Tomcat();
    private final Connector connector = new Connector();
    private final Context context;

    OnTomcat(Webapp webapp, String adapter, Path docBase, int port) throws Exception {
        super(adapter, docBase.getParent());
        name = webapp.name();
        Files.createDirectories(docBase.resolveSibling("webapps"));
        tomcat.setBaseDir(docBase.getParent().toString());
        connector.setPort(port);
        connector.setProperty("address", HOST);
        connector.setThrowOnFailure(true);
        tomcat.setConnector(connector);
        tomcat.getHost().setAutoDeploy(false);
        // No DefaultServlet/JspServlet from Tomcat's defaults: the webapp is exactly its web.xml, and
        // unmapped paths get a plain 404 for every method (as on Jetty).
        tomcat.setAddDefaultWebXmlToWebapp(false);
        if (adapter.equals(TOMCAT_VALVE)) {
            tomcat.getHost().getPipeline().addValve(Guard.valve(webapp.guardedPaths()));
        }

        context = tomcat.addWebapp("", docBase.toString());
        webapp.options().forEach((option, value) -> {
            // As context.xml would: <Parameter name="dev.etagguard.OPTION" value="..." override="false"/>
            ApplicationParameter parameter = new ApplicationParameter();
            parameter.setName(ETagGuardFilter.CONTEXT_PARAMETER_PREFIX + option);
            parameter.setValue(value);
            parameter.setOverride(false);
            context.addApplicationParameter(parameter);
        });
        context.addServletContainerInitializer(
                (classes, servletContext) -> webapp.attributes().forEach(servletContext::setAttribute), null);
        StandardJarScanner scanner = new StandardJarScanner();
        scanner.setScanManifest(false);
        scanner.setScanClassPath(false);
        context.setJarScanner(scanner);
        context.setParentClassLoader(webapp.classes().getClassLoader());
        if (context instanceof StandardContext standard) {
            standard.setDelegate(true); // parent first: the classes come from the launcher's class path
        }
    }

    @Override
    void startContainer() throws Exception {
        tomcat.start();
        if (connector.getState() != LifecycleState.STARTED || connector.getLocalPort() <= 0) {
            throw new IllegalStateException("Tomcat connector did not start on " + HOST + ":" + connector.getPort());
        }
        if (!context.getState().isAvailable()) {
            throw new IllegalStateException("the " + name + " webapp failed to start on Tomcat (see the log above)");
        }
    }

    @Override
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public @Nullable Object attribute(String attribute) {
        return context.getServletContext().getAttribute(attribute);
    }

    @Override
    void stopContainer() throws Exception {
        tomcat.stop();
        tomcat.destroy();
    }

    /** The valve, in a class of its own: loaded only for the valve adapter (not every sample has its jar). */
    private static final class Guard {
        static Valve valve(String guardedPaths) {
            // As server.xml would: <Valve className="dev.etagguard.tomcat.ETagGuardValve" guardedPaths="..."/>
            ETagGuardValve valve = new ETagGuardValve();
            valve.setProperty("guardedPaths", guardedPaths);
            return valve;
        }
    }
}
