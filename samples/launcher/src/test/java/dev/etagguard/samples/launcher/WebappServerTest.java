package dev.etagguard.samples.launcher;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A webapp from its web.xml ({@code src/test/resources/webapp}) on each adapter, over real sockets:
 * the attributes and guard options it is given reach it, the guard is in front, and a stopped
 * Tomcat leaves no catalina.base behind for the next one.
 */
class WebappServerTest {

    private static final Webapp ECHO = new Webapp("launcher-test", WebappServerTest.class, "/echo/*", Map.of(),
            Map.of(EchoServlet.ATTRIBUTE, "handed over"));

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY, WebappServer.TOMCAT_VALVE, WebappServer.JETTY_HANDLER})
    void servesTheWebappBehindTheAdapter(String adapter) throws Exception {
        // guardedPaths twice: the web.xml filter's, as a context parameter; the valve's or the handler's.
        try (WebappServer server = WebappServer.start(ECHO.option("guardedPaths", "/echo/*"), adapter, 0)) {
            assertThat(server.adapter()).isEqualTo(adapter);
            assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port() + "/");
            assertThat(server.attribute(EchoServlet.ATTRIBUTE)).isEqualTo("handed over");
            URI echo = URI.create(server.baseUrl() + "echo/x");

            HttpResponse<byte[]> read = get(echo);
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(text(read)).isEqualTo("handed over");
            assertThat(header(read, "ETag")).as("the guard tags the response").isNotNull();
            assertThat(put(echo, "y").statusCode()).as("guardedPaths holds").isEqualTo(428);
            assertThat(put(echo, "y", "If-Match", header(read, "ETag")).statusCode()).isEqualTo(204);
            assertThat(get(URI.create(server.baseUrl() + "elsewhere")).statusCode()).isEqualTo(404);
        }
        assertThat(System.getProperty("catalina.base")).as("catalina.base after close").isNull();
        assertThat(System.getProperty("catalina.home")).as("catalina.home after close").isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {WebappServer.TOMCAT, WebappServer.JETTY})
    void optionsOverrideTheWebXmlFilter(String adapter) throws Exception {
        try (WebappServer server = WebappServer.start(ECHO.option("enabled", "false"), adapter, 0)) {
            HttpResponse<byte[]> read = get(URI.create(server.baseUrl() + "echo/x"));
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(header(read, "ETag")).as("no guard: enabled=false").isNull();
        }
    }

    @Test
    void refusesUnknownAdaptersAndPorts() {
        assertThatIllegalArgumentException().isThrownBy(() -> WebappServer.start(ECHO, "nope", 0))
                .withMessageContaining("nope");
        assertThatIllegalArgumentException().isThrownBy(() -> WebappServer.start(ECHO, WebappServer.TOMCAT, 65536));
    }
}
