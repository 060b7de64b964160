package dev.etagguard.tomcat;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;

import dev.etagguard.testing.Http;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.SlowContentScenarios;

import org.apache.catalina.Context;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Option minContentRate on the valve: content beyond 8 MiB, and Expect: 100-continue's promise. */
class ValveContentRateProbeTest {

  private ValveServer server;
  private ETagGuardValve valve;
  private Context root;
  private ResourceServlet servlet;

  @AfterEach
  void stop() throws Exception {
    try {
      if (valve != null) {
        Permits.assertNoneLeft(valve.engine(root).sequencer());
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private void start() throws Exception {
    servlet = new ResourceServlet();
    valve = new ETagGuardValve(SlowContentScenarios.settings());
    server = ValveServer.start(valve, tomcat -> {
      root = ValveServer.root(tomcat);
      ValveServer.addServlet(root, "app", servlet, "/*");
    });
  }

  /** Content beyond the 8 MiB received before the permit, sent one byte a second: 408 at the rate. */
  @Test
  void contentBeyondTheReceivedPartSentSlowlyEndsTheWriteAtTheRate() throws Exception {
    start();
    SlowContentScenarios.beyondTheReceivedPart(server, valve.engine(root).sequencer(), 8L * 1024 * 1024,
        servlet.store::get);
  }

  /** Expect: 100-continue on the valve: the 412 is the first thing the client hears, so it costs no upload. */
  @Test
  void expectClientHearsThe412BeforeAny100Continue() throws Exception {
    start();
    assertThat(Http.put(server.uri("/refused"), "v1").statusCode()).isEqualTo(201);
    try (Socket client = new Socket("127.0.0.1", server.base().getPort())) {
      client.setSoTimeout(10_000);
      client.getOutputStream().write(("PUT /refused HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
          + "If-Match: \"nope\"\r\nContent-Length: 100\r\nContent-Type: application/octet-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      byte[] line = new byte[12];
      assertThat(client.getInputStream().readNBytes(line, 0, 12)).isEqualTo(12);
      assertThat(new String(line, StandardCharsets.US_ASCII)).as("the first answer the client hears")
          .isEqualTo("HTTP/1.1 412");
    }
  }
}
