package dev.etagguard.samples.launcher;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A sample webapp as {@link WebappServer} starts it: exactly its {@code WEB-INF/web.xml}, the one
 * packaged in its war, found on the class path at {@value #WEB_XML} (the sample's build copies
 * {@code src/main/webapp} there), with its classes from the launcher's class path. Immutable.
 *
 * @param name the webapp's name in messages and temporary directories, such as {@code wiki}
 * @param classes a class of the webapp: its class loader holds the webapp's classes and {@value #WEB_XML}
 * @param guardedPaths option {@code guardedPaths} of the Tomcat valve or the Jetty handler, for the
 *     adapters that guard in place of the web.xml filter (empty: none)
 * @param options guard options as context parameters {@code dev.etagguard.OPTION}, which override
 *     the web.xml filter's init-params, as an administrator's
 *     {@code <Parameter name="dev.etagguard.OPTION" value="..." override="false"/>} would
 * @param attributes servlet context attributes, set before the webapp's filters and servlets initialize
 */
public record Webapp(String name, Class<?> classes, String guardedPaths, Map<String, String> options,
        Map<String, Object> attributes) {

    /** The webapp's deployment descriptor on the class path. */
    public static final String WEB_XML = "/webapp/WEB-INF/web.xml";

    /** Copies the maps. */
    public Webapp {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(classes, "classes");
        Objects.requireNonNull(guardedPaths, "guardedPaths");
        options = Map.copyOf(options);
        attributes = Map.copyOf(attributes);
    }

    /** The same, with the context parameter {@code dev.etagguard.OPTION=value}. */
    public Webapp option(String option, String value) {
        Map<String, String> more = new LinkedHashMap<>(options);
        more.put(option, value);
        return new Webapp(name, classes, guardedPaths, more, attributes);
    }

    /** The same, with the servlet context attribute {@code attribute}. */
    public Webapp attribute(String attribute, Object value) {
        Map<String, Object> more = new LinkedHashMap<>(attributes);
        more.put(attribute, value);
        return new Webapp(name, classes, guardedPaths, options, more);
    }
}
