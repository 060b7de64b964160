package dev.etagguard.samples.launcher;

/** A sample serving on {@value #HOST}, as {@link SampleMain} runs it. */
public interface SampleServer extends AutoCloseable {

    /** The only interface the samples listen on. */
    String HOST = "127.0.0.1";

    /** The port actually bound. */
    int port();

    /** {@code http://127.0.0.1:PORT/}. */
    default String baseUrl() {
        return "http://" + HOST + ":" + port() + "/";
    }

    /** Stops the server and removes its temporary files; idempotent. */
    @Override
    void close();
}
