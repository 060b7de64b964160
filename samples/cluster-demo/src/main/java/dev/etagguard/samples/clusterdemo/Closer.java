package dev.etagguard.samples.clusterdemo;

import java.util.ArrayList;
import java.util.List;

/**
 * What a run has opened (servers, clients, pools, engines, its directory), closed the last first at
 * the end of {@code main} or by the shutdown hook (Ctrl-C), whichever comes first. A server is
 * registered before it is launched, so a start interrupted half-way leaves nothing running.
 * Thread-safe: the hook may close while {@code main} is still starting things, which are then
 * closed as they are registered.
 */
final class Closer {

    private final String name;
    private final List<AutoCloseable> open = new ArrayList<>();
    private boolean closed;

    /** A closer whose messages start with {@code name}. */
    Closer(String name) {
        this.name = name;
    }

    /** Registers {@code closeable} and returns it; closes it at once when this closer has closed already. */
    <T extends AutoCloseable> T add(T closeable) {
        synchronized (this) {
            if (!closed) {
                open.add(closeable);
                return closeable;
            }
        }
        closeQuietly(closeable);
        return closeable;
    }

    /**
     * Closes everything registered, the last first, reporting failures on stderr; idempotent. A second
     * caller waits until the first is done, so the JVM does not halt half-way.
     */
    synchronized void close() {
        closed = true;
        while (!open.isEmpty()) {
            closeQuietly(open.remove(open.size() - 1));
        }
    }

    /** Whether {@link #close()} has begun: the run is ending (Ctrl-C, when {@code main} did not call it). */
    synchronized boolean closed() {
        return closed;
    }

    private void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            System.err.println(name + ": while stopping: " + e.getMessage());
        }
    }
}
