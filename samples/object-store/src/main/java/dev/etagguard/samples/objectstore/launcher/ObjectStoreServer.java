package dev.etagguard.samples.objectstore.launcher;

import dev.etagguard.GuardEngine;
import dev.etagguard.samples.launcher.SampleServer;
import dev.etagguard.samples.launcher.Webapp;
import dev.etagguard.samples.launcher.WebappServer;
import dev.etagguard.samples.objectstore.ObjectStorage;
import dev.etagguard.servlet.ETagGuardFilter;
import dev.etagguard.spi.GuardListener;
import java.util.Map;
import java.util.Objects;

/**
 * The object store webapp, started from its own {@code WEB-INF/web.xml} (the one packaged in
 * {@code object-store.war}) on embedded Tomcat, bound to 127.0.0.1 only. The guard of that
 * web.xml is switched off, or its read permits, the way an administrator would: with the context
 * parameters {@code dev.etagguard.enabled=false} and {@code dev.etagguard.readPermits=false} (and
 * preconditions required with {@code dev.etagguard.guardedPaths=/buckets/*}).
 * The storage is created here, with the given delays, and handed to the servlet. Used by
 * {@link ObjectStoreMain}, the race demo and tests.
 */
public final class ObjectStoreServer implements SampleServer {

    /**
     * How to run the store.
     *
     * @param port the port on 127.0.0.1; 0 picks a free one
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
    private final ObjectStorage storage;
    private final WebappServer webapp;

    private ObjectStoreServer(Options options, ObjectStorage storage, WebappServer webapp) {
        this.options = options;
        this.storage = storage;
        this.webapp = webapp;
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
        Webapp store = new Webapp("object-store", ObjectStoreServer.class, "", Map.of(), Map.of())
                .attribute(ObjectStorage.ATTRIBUTE, storage)
                .attribute(ETagGuardFilter.LISTENER_ATTRIBUTE, listener);
        if (!options.guard()) {
            store = store.option("enabled", "false");
        }
        if (!options.readPermits()) {
            store = store.option("readPermits", "false");
        }
        if (options.preconditionsRequired()) {
            store = store.option("guardedPaths", "/buckets/*");
        }
        return new ObjectStoreServer(options, storage, WebappServer.start(store, WebappServer.TOMCAT, options.port()));
    }

    /** How it runs. */
    public Options options() {
        return options;
    }

    /** The engine of the webapp's ETag Guard filter (it exists, switched off, when the guard is off). */
    public GuardEngine engine() {
        return (GuardEngine) Objects.requireNonNull(webapp.attribute(ETagGuardFilter.ENGINE_ATTRIBUTE));
    }

    @Override
    public int port() {
        return webapp.port();
    }

    /** The storage behind the servlet. */
    public ObjectStorage storage() {
        return storage;
    }

    @Override
    public void close() {
        webapp.close();
    }
}
