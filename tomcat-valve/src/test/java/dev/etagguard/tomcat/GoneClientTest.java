package dev.etagguard.tomcat;

import static dev.etagguard.testing.Http.get;
import static dev.etagguard.testing.Http.header;
import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.Permits;
import dev.etagguard.testing.ResourceServlet;
import dev.etagguard.testing.SlowContentScenarios;

import org.apache.catalina.Context;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that leaves before the guard sends its own answer (a 304 or a 412 decided once the
 * handler has run): the permit is released, and the failed write is the client's going, which
 * Tomcat treats as it treats a handler's write to a gone client (no error logged, no error page).
 */
class GoneClientTest {

  private ValveServer server;
  private ETagGuardValve valve;
  private Context root;
  private ResourceServlet servlet;
  private final List<LogRecord> severe = new CopyOnWriteArrayList<>();
  private final Handler recorder = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
        severe.add(record);
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  @BeforeEach
  void record() {
    Logger.getLogger("").addHandler(recorder);
  }

  @AfterEach
  void stop() throws Exception {
    Logger.getLogger("").removeHandler(recorder);
    try {
      GuardEngine engine = valve == null ? null : valve.engine(root);
      if (engine != null) {
        assertThat(Permits.awaitHeld(engine.sequencer(), 0, Duration.ofSeconds(5))).as("permits held after the test")
            .isZero();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private void start(GuardSettings settings) throws Exception {
    servlet = new ResourceServlet();
    valve = new ETagGuardValve(settings);
    server = ValveServer.start(valve, tomcat -> {
      root = ValveServer.root(tomcat);
      ValveServer.addServlet(root, "app", servlet, "/*");
    });
  }

  /**
   * Sends {@code request}, waits until it holds its read permit (its slow handler runs), and
   * resets the connection: the client is gone before the guard answers.
   */
  private void sendAndReset(String request) throws Exception {
    try (Socket client = new Socket("127.0.0.1", server.base().getPort())) {
      client.setSoLinger(true, 0); // close with a reset
      OutputStream out = client.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(Permits.awaitHeld(valve.engine(root).sequencer(), 1, Duration.ofSeconds(5)))
          .as("the read took its permit").isEqualTo(1);
    }
  }

  /** Waits until the exchange ended, then a moment more for its thread to leave the valve (and log what it raised). */
  private void awaitExchangeEnded() throws Exception {
    assertThat(Permits.awaitHeld(valve.engine(root).sequencer(), 0, Duration.ofSeconds(5))).isZero();
    Thread.sleep(300);
  }

  private List<String> severeMessages() {
    return severe.stream().map(r -> r.getMessage() + " " + r.getThrown()).toList();
  }

  @Test
  void aClientGoneBeforeTheGuardsNotModifiedLeavesNoErrorAndNoPermit() throws Exception {
    start(GuardSettings.builder().readPermits(true).build());
    servlet.store.put("/a", "v1".getBytes(StandardCharsets.UTF_8));
    String etag = header(get(server.uri("/a")), "ETag");
    sendAndReset("GET /a?slow=500 HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: " + etag + "\r\n\r\n");
    awaitExchangeEnded(); // the handler answered, the guard sent its 304 to nobody
    assertThat(put(server.uri("/a"), "v2", "If-Match", etag).statusCode()).isEqualTo(204);
    assertThat(severeMessages()).as("errors logged for a client that left").isEmpty();
  }

  @Test
  void aClientGoneBeforeTheGuardsHeldBodyLeavesNoErrorAndNoPermit() throws Exception {
    start(GuardSettings.builder().readPermits(true).build());
    sendAndReset("GET /a?slow=500&big=60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    awaitExchangeEnded();
    assertThat(put(server.uri("/a"), "v2").statusCode()).as("the next write of the resource").isEqualTo(201);
    assertThat(severeMessages()).as("errors logged for a client that left").isEmpty();
  }

  /**
   * Option minContentRate: a client sending its content (after Expect: 100-continue) at one byte a
   * second is treated as one that left. The handler's read fails, Tomcat puts the response into
   * its error state, and the guard answers 408 in place of the error page.
   */
  @Test
  void aClientSendingContentTooSlowlyUnderThePermitGets408() throws Exception {
    start(SlowContentScenarios.settings());
    SlowContentScenarios.expectContinue(server, valve.engine(root).sequencer(), servlet.store::get);
  }
}
