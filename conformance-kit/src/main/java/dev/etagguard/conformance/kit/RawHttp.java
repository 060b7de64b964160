package dev.etagguard.conformance.kit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import javax.net.ssl.SSLSocketFactory;

/**
 * HTTP/1.1 over a plain socket, for the hostile-header check: the JDK client refuses to send
 * control characters and other bytes a hostile client would. One request per connection
 * ({@code Connection: close}); only the status line is interpreted.
 */
final class RawHttp {

  private RawHttp() {
  }

  /**
   * Sends {@code method} to {@code uri} with the given raw header lines (without CRLF) and body,
   * and returns the response status, or {@code -1} when the server closed the connection without
   * a status line.
   *
   * @throws IOException when the connection fails or times out
   */
  static int send(String method, URI uri, String[] headerLines, byte[] body, Duration timeout) throws IOException {
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(uri.getHost(), port), (int) timeout.toMillis());
      plain.setSoTimeout((int) timeout.toMillis());
      Socket socket = tls
          ? ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(plain, uri.getHost(), port, true)
          : plain;
      ByteArrayOutputStream request = new ByteArrayOutputStream();
      ascii(request, method + " " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + port
          + "\r\nConnection: close\r\n");
      if (body.length > 0 || !"GET".equals(method) && !"HEAD".equals(method)) {
        ascii(request, "Content-Length: " + body.length + "\r\n");
      }
      for (String line : headerLines) {
        // ISO-8859-1: each char is one byte, so control characters and obs-text go out as given.
        request.write(line.getBytes(StandardCharsets.ISO_8859_1));
        request.write('\r');
        request.write('\n');
      }
      ascii(request, "\r\n");
      request.write(body);
      OutputStream out = socket.getOutputStream();
      out.write(request.toByteArray());
      out.flush();
      return status(socket.getInputStream());
    }
  }

  private static int status(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n' && line.length() < 200) {
      line.append((char) b);
    }
    // Drain the rest so the server never sees a reset while it writes.
    in.transferTo(OutputStream.nullOutputStream());
    String[] parts = line.toString().strip().split(" ");
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      return -1;
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void ascii(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
  }
}
