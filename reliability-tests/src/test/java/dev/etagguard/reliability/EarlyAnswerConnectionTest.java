package dev.etagguard.reliability;

import static dev.etagguard.testing.Http.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.testing.ResourceServlet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Found by the long lost-update run: when the guard answers a write itself (412, 428, 503) it
 * never reads the request content, and Jetty closes a connection whose content is left unread
 * when the exchange ends, without saying so in the answer; a client that sent its next request
 * on that connection got an I/O error ("header parser received no bytes"). Now the guard
 * consumes the content (or, on the Jetty handler, announces {@code Connection: close} when the
 * content has not arrived yet). Over a raw socket, on every adapter: after an early answer the
 * connection either carries the next request or was announced closed; with the content sent
 * along, it stays open.
 */
class EarlyAnswerConnectionTest {

  private static final String STALE = "If-Match: \"stale\"\r\n";
  private static final String NONE = "";

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void contentSentLateAfterTheAnswer(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = start(adapter)) {
      for (String precondition : new String[] {STALE, NONE}) {
        int expected = precondition.equals(STALE) ? 412 : 428;
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
          socket.setSoTimeout(30_000);
          OutputStream out = socket.getOutputStream();
          InputStream in = new BufferedInputStream(socket.getInputStream());
          // A client that waits for the answer before sending its content says so (RFC 9110 10.1.1).
          out.write(request("PUT", precondition + "Expect: 100-continue\r\n", "hello", false));
          out.flush();
          Raw first = Raw.read(in);
          assertThat(first.status).as("%s early answer", adapter).isEqualTo(expected);
          if ("close".equalsIgnoreCase(first.headers.get("connection"))) {
            continue; // announced: the client opens a new connection
          }
          out.write("hello".getBytes(StandardCharsets.US_ASCII));
          out.write(request("GET", NONE, null, false));
          out.flush();
          assertThat(Raw.read(in).status).as("%s: the next request on the connection kept after %d", adapter,
              expected).isEqualTo(200);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void contentSentAlongKeepsTheConnection(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = start(adapter);
        Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      for (String precondition : new String[] {STALE, NONE, STALE}) {
        out.write(request("PUT", precondition, "hello", true));
        out.flush();
        Raw answer = Raw.read(in);
        assertThat(answer.status).isEqualTo(precondition.equals(STALE) ? 412 : 428);
        assertThat(answer.headers.get("connection")).as("%s keeps the connection", adapter).isNull();
      }
      out.write(request("GET", NONE, null, false));
      out.flush();
      assertThat(Raw.read(in).status).isEqualTo(200);
    }
  }

  private static GuardedServer start(GuardedServer.Adapter adapter) throws Exception {
    GuardedServer server = GuardedServer.start(adapter, GuardSettings.builder().guardedPaths("/*").build(),
        new ResourceServlet());
    assertThat(put(server.uri("/a"), "first", "If-None-Match", "*").statusCode()).isEqualTo(201);
    return server;
  }

  private static byte[] request(String method, String headers, String body, boolean withBody) {
    String head = method + " /a HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
        + (body != null ? "Content-Length: " + body.length() + "\r\n" : "") + "\r\n";
    return (head + (withBody ? body : "")).getBytes(StandardCharsets.US_ASCII);
  }

  /** A response read off the wire: status, headers (lower-case names), body by length or chunks. */
  private static final class Raw {
    int status;
    final Map<String, String> headers = new LinkedHashMap<>();

    static Raw read(InputStream in) throws IOException {
      Raw r = new Raw();
      String statusLine = line(in);
      while (statusLine.startsWith("HTTP/1.1 1")) {
        // An interim response (Tomcat answers Expect: 100-continue as soon as the headers arrive).
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
          // its fields, if any
        }
        statusLine = line(in);
      }
      assertThat(statusLine).as("a status line").startsWith("HTTP/1.1 ");
      r.status = Integer.parseInt(statusLine.substring(9, 12));
      for (String l = line(in); !l.isEmpty(); l = line(in)) {
        int colon = l.indexOf(':');
        r.headers.put(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
      }
      if ("chunked".equalsIgnoreCase(r.headers.get("transfer-encoding"))) {
        for (int size = Integer.parseInt(line(in).strip(), 16); size > 0; size = Integer.parseInt(line(in).strip(), 16)) {
          in.readNBytes(size);
          line(in);
        }
        line(in);
      } else if (r.headers.containsKey("content-length")) {
        in.readNBytes(Integer.parseInt(r.headers.get("content-length")));
      }
      return r;
    }

    private static String line(InputStream in) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed after " + b.size() + " bytes of a line: " + b);
        }
        if (c != '\r') {
          b.write(c);
        }
      }
      return b.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
