package dev.etagguard.benchmarks;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * A minimal HTTP/1.1 keep-alive client connection for load generation: writes pre-built
 * requests, reads status, headers and body (Content-Length or chunked) and discards the body.
 * Not thread-safe: one connection per load thread.
 */
final class HttpConnection implements AutoCloseable {

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final byte[] buf = new byte[64 * 1024];
  private int pos;
  private int lim;
  private @Nullable String etag;

  HttpConnection(int port) throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    socket.setSoTimeout(60_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Builds a request: method, path, extra header lines (each without CRLF) and an optional body. */
  static byte[] request(String method, String path, @Nullable byte[] body, String... headers) {
    StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (String h : headers) {
      sb.append(h).append("\r\n");
    }
    if (body != null) {
      sb.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
    }
    sb.append("\r\n");
    byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null) {
      return head;
    }
    byte[] all = new byte[head.length + body.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  /** Sends one request and reads its response; returns the status. */
  int exchange(byte[] request, boolean head) throws IOException {
    out.write(request);
    out.flush();
    return readResponse(head);
  }

  /** The ETag of the last response, or {@code null}. */
  @Nullable String etag() {
    return etag;
  }

  private int readResponse(boolean head) throws IOException {
    String status = line();
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    boolean chunked = false;
    etag = null;
    for (String h = line(); !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "etag" -> etag = value;
        default -> { }
      }
    }
    if (head || code == 304 || code == 204 || code / 100 == 1) {
      return code;
    }
    if (chunked) {
      while (true) {
        String size = line();
        int semi = size.indexOf(';');
        long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        if (n == 0) {
          while (!line().isEmpty()) {
            // trailers
          }
          break;
        }
        skip(n);
        line();
      }
    } else if (length > 0) {
      skip(length);
    }
    return code;
  }

  private void fill() throws IOException {
    pos = 0;
    lim = in.read(buf);
    if (lim <= 0) {
      lim = 0;
      throw new EOFException("connection closed by the server");
    }
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder(64);
    while (true) {
      if (pos == lim) {
        fill();
      }
      byte b = buf[pos++];
      if (b == '\n') {
        int n = sb.length();
        if (n > 0 && sb.charAt(n - 1) == '\r') {
          sb.setLength(n - 1);
        }
        return sb.toString();
      }
      sb.append((char) (b & 0xff));
    }
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      if (pos == lim) {
        fill();
      }
      int take = (int) Math.min(n, lim - pos);
      pos += take;
      n -= take;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
