package dev.etagguard.samples.wiki;

import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.samples.launcher.WebappServer;
import dev.etagguard.testing.Http;
import dev.etagguard.testing.JarProcess;
import java.net.URI;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code java -jar target/etag-guard-wiki.jar} as a subprocess (needs the packaged jar: run by failsafe). */
class LauncherIT {

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY, WebappServer.TOMCAT_VALVE, WebappServer.JETTY_HANDLER})
    void printsTheListeningLineAndServes(String adapter) throws Exception {
        try (JarProcess launcher = JarProcess.start(adapter, "--port=0", "--adapter=" + adapter)) {
            int port = launcher.readyPort();

            HttpResponse<byte[]> response = Http.get(URI.create("http://127.0.0.1:" + port + "/articles"));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Http.text(response)).isEqualTo("[]");

            launcher.stopAndAssertStdoutIsTheReadyLine(port);
        }
    }

    @Test
    void unknownAdapterExitsWith2() throws Exception {
        JarProcess.assertRefused("--adapter=nope", "nope");
    }

    @Test
    void badPortExitsWith2() throws Exception {
        JarProcess.assertRefused("--port=eighty", "--port");
    }
}
