package dev.etagguard.samples.objectstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.testing.Http;
import dev.etagguard.testing.JarProcess;
import java.net.URI;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code java -jar target/etag-guard-object-store.jar} as a subprocess (needs the packaged jar: run by failsafe). */
class LauncherIT {

    @ParameterizedTest
    @ValueSource(strings = {"on", "off"})
    void printsTheListeningLineAndServes(String guard) throws Exception {
        try (JarProcess launcher = JarProcess.start("guard-" + guard, "--port=0", "--guard=" + guard)) {
            int port = launcher.readyPort();

            HttpResponse<byte[]> response = Http.get(URI.create("http://127.0.0.1:" + port + "/buckets/b"));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Http.text(response)).isEqualTo("{\"bucket\":\"b\",\"objects\":[]}");
            assertThat(response.headers().firstValue("ETag").isPresent()).as("ETag with the guard on").isEqualTo(guard.equals("on"));

            launcher.stopAndAssertStdoutIsTheReadyLine(port);
        }
    }

    @Test
    void badGuardExitsWith2() throws Exception {
        JarProcess.assertRefused("--guard=maybe", "--guard");
    }

    @Test
    void badPortExitsWith2() throws Exception {
        JarProcess.assertRefused("--port=eighty", "--port");
    }
}
