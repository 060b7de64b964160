package dev.etagguard.samples.clusterdemo;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.put;
import static dev.etagguard.testing.Http.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.etagguard.Exchange;
import dev.etagguard.testing.EmbeddedServer;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The service on real Tomcat. In front of it, in place of a guard with shared permits, a filter
 * hands the servlet the fencing token a request names ({@code Token}), as the guard hands it the
 * permit's.
 */
class DocumentServletTest {

    private final Documents documents = new Documents();
    private final Filter tokens = (request, response, chain) -> {
        String token = ((HttpServletRequest) request).getHeader("Token");
        if (token != null) {
            request.setAttribute(Exchange.FENCING_TOKEN_ATTRIBUTE, Long.valueOf(token));
        }
        chain.doFilter(request, response);
    };
    private EmbeddedServer server;

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void storesDocumentsAndAnswers409ToAWriteWithAStaleToken() throws Exception {
        server = EmbeddedServer.tomcat(new DocumentServlet(documents, Duration.ZERO), tokens);
        URI doc = server.uri("/docs/a");
        assertThat(get(doc).statusCode()).isEqualTo(404);
        assertThat(put(doc, "v1", "Token", "7").statusCode()).isEqualTo(201);
        assertThat(put(doc, "v2", "Token", "9").statusCode()).isEqualTo(204);
        assertThat(text(get(doc))).isEqualTo("v2");

        HttpResponse<byte[]> stale = put(doc, "stale", "Token", "8");
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(text(stale)).contains("fencing token 8 is stale");
        assertThat(text(get(doc))).isEqualTo("v2");

        assertThat(put(doc, "unfenced").statusCode()).as("no token: in-process permits").isEqualTo(204);
        assertThat(text(get(doc))).isEqualTo("unfenced");
    }
}
