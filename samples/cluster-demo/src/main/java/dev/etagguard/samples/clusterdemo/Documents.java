package dev.etagguard.samples.clusterdemo;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The service's storage: ONE object that every instance writes to, standing for the database behind
 * a load balancer's instances. Each document keeps its text and the largest fencing token any write
 * of it has carried, and a write with a smaller token is refused, as this statement refuses it:
 *
 * <pre>{@code
 * UPDATE documents SET text = ?, fence = ? WHERE name = ? AND fence <= ?
 * }</pre>
 *
 * <p>That is the fence the README asks for. A write that took its resource's permit and then stalled
 * (a pause, a slow disk) may find that its permit's lease ran out and another instance's write went
 * ahead with a larger token; the storage then refuses the stale write rather than let it overwrite
 * the newer one. The guard would answer that write 409 at its commit anyway, but only the storage can
 * keep the stale bytes out. Writes without a token (the guard's in-process permits, which are never
 * lost, give none) are stored unfenced. Thread-safe.
 */
public final class Documents {

    /** What a write did. */
    public enum Outcome {
        /** The document did not exist and now does. */
        CREATED,
        /** The document's text was replaced. */
        REPLACED,
        /** Nothing was stored: a write with a larger fencing token has been stored already. */
        REFUSED
    }

    /** A document: its text, and the largest fencing token its writes carried ({@link Long#MIN_VALUE}: none). */
    private record Row(String text, long fence) {}

    private final Map<String, Row> rows = new ConcurrentHashMap<>();

    /** The text of document {@code name}, or {@code null} when there is none. */
    public @Nullable String read(String name) {
        Row row = rows.get(name);
        return row == null ? null : row.text();
    }

    /**
     * Stores {@code text} as document {@code name}, unless a write with a larger fencing token has
     * been stored already.
     *
     * @param token the write permit's fencing token (request attribute
     *     {@link dev.etagguard.Exchange#FENCING_TOKEN_ATTRIBUTE}), or {@code null} when the guard gave none
     */
    public Outcome write(String name, String text, @Nullable Long token) {
        Outcome[] outcome = new Outcome[1];
        rows.compute(name, (key, old) -> {
            long fence = old == null ? Long.MIN_VALUE : old.fence();
            if (token != null && token < fence) {
                outcome[0] = Outcome.REFUSED;
                return old;
            }
            outcome[0] = old == null ? Outcome.CREATED : Outcome.REPLACED;
            return new Row(text, token == null ? fence : Math.max(fence, token));
        });
        return outcome[0];
    }
}
