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
 * The read-modify-write cycle of the long lost-update run, on one persistent connection read
 * byte by byte: a guarded GET (200, held and digested), a PUT with the current tag (204, after
 * the guard's internal GETs), a PUT with the old tag (412 with a problem body), over and over.
 * Every answer keeps the connection (or announces {@code Connection: close} and closes it),
 * declares exactly
 * the bytes it sends (the next status line follows at once: a byte too many or too few breaks it)
 * and the 204 sends none. This is what a client that reuses connections relies on; the long run's
 * rare I/O errors came from the JDK client's own pool, not from any of these answers.
 */
class KeepAliveCyclesTest {

  private static final int CYCLES = 200;

  @ParameterizedTest
  @EnumSource(GuardedServer.Adapter.class)
  void cyclesOnOneConnection(GuardedServer.Adapter adapter) throws Exception {
    try (GuardedServer server = GuardedServer.start(adapter,
        GuardSettings.builder().guardedPaths("/counter/*").build(), new ResourceServlet())) {
      assertThat(put(server.uri("/counter/0"), "0", "If-None-Match", "*").statusCode()).isEqualTo(201);
      try (Connection connection = new Connection(server.port())) {
        for (int i = 0; i < CYCLES; i++) {
          Answer read = connection.exchange(request("GET", null, null), adapter + " GET #" + i);
          assertThat(read.status).isEqualTo(200);
          assertThat(read.body).isEqualTo(Integer.toString(i));
          String tag = read.headers.get("etag");
          assertThat(tag).isNotNull();

          Answer write = connection.exchange(request("PUT", tag, Integer.toString(i + 1)), adapter + " PUT #" + i);
          assertThat(write.status).as("%s PUT #%d", adapter, i).isEqualTo(204);
          assertThat(write.headers).doesNotContainKeys("content-length", "transfer-encoding");

          Answer stale = connection.exchange(request("PUT", tag, "stale"), adapter + " stale PUT #" + i);
          assertThat(stale.status).isEqualTo(412);
          assertThat(stale.body).contains("412");
        }
        assertThat(connection.opened).as("%s: connections for %d requests", adapter, 3 * CYCLES)
            .isLessThanOrEqualTo(3 * CYCLES / 100 + 1);
      }
    }
  }

  /**
   * A persistent connection: reopened only after an answer that announced {@code Connection:
   * close} (Tomcat does after {@code maxKeepAliveRequests}, 100), and then the server must have
   * closed it right after that answer.
   */
  private static final class Connection implements AutoCloseable {
    private final int port;
    private Socket socket;
    private InputStream in;
    int opened;

    Connection(int port) throws IOException {
      this.port = port;
      open();
    }

    private void open() throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
      in = new BufferedInputStream(socket.getInputStream());
      opened++;
    }

    Answer exchange(byte[] request, String what) throws IOException {
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      Answer answer = Answer.read(in, what);
      if ("close".equalsIgnoreCase(answer.headers.get("connection"))) {
        assertThat(in.read()).as("%s: announced close, then nothing more", what).isEqualTo(-1);
        socket.close();
        open();
      } else {
        assertThat(answer.headers.get("connection")).as("%s", what).isNull();
      }
      return answer;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static byte[] request(String method, String ifMatch, String body) {
    String head = method + " /counter/0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + (ifMatch != null ? "If-Match: " + ifMatch + "\r\n" : "")
        + (body != null ? "Content-Length: " + body.length() + "\r\n" : "") + "\r\n";
    return (head + (body != null ? body : "")).getBytes(StandardCharsets.US_ASCII);
  }

  /** An answer read exactly by its framing; the connection must stay usable after it. */
  private static final class Answer {
    int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    String body = "";

    static Answer read(InputStream in, String what) throws IOException {
      Answer a = new Answer();
      String statusLine = line(in, what);
      assertThat(statusLine).as("%s: a status line right after the previous answer", what).startsWith("HTTP/1.1 ");
      a.status = Integer.parseInt(statusLine.substring(9, 12));
      for (String l = line(in, what); !l.isEmpty(); l = line(in, what)) {
        int colon = l.indexOf(':');
        a.headers.put(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
      }
      if (a.status != 204 && a.status != 304) {
        assertThat(a.headers).as("%s declares its length", what).containsKey("content-length");
        int length = Integer.parseInt(a.headers.get("content-length"));
        byte[] bytes = in.readNBytes(length);
        assertThat(bytes).as("%s: the declared %d bytes", what, length).hasSize(length);
        a.body = new String(bytes, StandardCharsets.UTF_8);
      }
      return a;
    }

    private static String line(InputStream in, String what) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException(what + ": connection closed after " + b.size() + " bytes of a line: " + b);
        }
        if (c != '\r') {
          b.write(c);
        }
      }
      return b.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
