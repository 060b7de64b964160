package dev.etagguard.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, for requests the JDK client would refuse or rewrite: a request
 * target sent byte for byte (dot segments, {@code //}, escapes, path parameters), header values
 * with control characters or obs-text, several field lines of one header. Every exchange sends
 * {@code Connection: close} and reads the response to the end of the stream; a read that waits
 * longer than the timeout fails with {@link SocketTimeoutException}, which tests report as a hang.
 */
final class RawHttp {

  /** How long one read may wait: far above any normal answer, so only a hang trips it. */
  static final int READ_TIMEOUT_MS = 30_000;

  private RawHttp() {
  }

  /**
   * A parsed response.
   *
   * @param status the status code
   * @param headers field lines by lower-case name, in order
   * @param body the body, de-chunked
   */
  record Response(int status, Map<String, List<String>> headers, byte[] body) {
    /** The first value of a header, or null. */
    String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The body as UTF-8 text. */
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** A header field line: name and value, sent as ISO-8859-1 bytes. */
  record Field(String name, String value) {
  }

  /**
   * Sends one request and reads the whole response.
   *
   * @param port the loopback port
   * @param method the method
   * @param target the request target, sent as is (ISO-8859-1)
   * @param fields header field lines, in order (Host, Connection and Content-Length are added)
   * @param body the content, or null for none
   */
  static Response exchange(int port, String method, String target, List<Field> fields, byte[] body)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(READ_TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      out.write(head(method, target, fields, body == null ? -1 : body.length));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      return read(socket.getInputStream(), "HEAD".equals(method));
    }
  }

  /** The request line and header section, with {@code Content-Length} when {@code length >= 0}. */
  static byte[] head(String method, String target, List<Field> fields, long length) {
    StringBuilder sb = new StringBuilder(256);
    sb.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    sb.append("Host: 127.0.0.1\r\n");
    for (Field f : fields) {
      sb.append(f.name()).append(": ").append(f.value()).append("\r\n");
    }
    if (length >= 0) {
      sb.append("Content-Length: ").append(length).append("\r\n");
    }
    sb.append("Connection: close\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Reads a response to the end of the stream (the request said {@code Connection: close}). */
  static Response read(InputStream in, boolean head) throws IOException {
    byte[] all = readAll(in);
    int end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
    if (end < 0) {
      throw new IOException("incomplete response: " + new String(all, StandardCharsets.ISO_8859_1));
    }
    String[] lines = new String(all, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status = Integer.parseInt(statusLine[1]);
    Map<String, List<String>> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.computeIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(lines[i].substring(colon + 1).strip());
    }
    byte[] rest = java.util.Arrays.copyOfRange(all, end + 4, all.length);
    List<String> te = headers.getOrDefault("transfer-encoding", List.of());
    byte[] body = head || status == 204 || status == 304 ? new byte[0]
        : te.stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked")) ? dechunk(rest) : rest;
    return new Response(status, headers, body);
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[16384];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
      }
    } catch (java.net.SocketException e) {
      // A server may reset the connection after a complete answer to a bad request.
      if (out.size() == 0) {
        throw e;
      }
    }
    return out.toByteArray();
  }

  private static byte[] dechunk(byte[] chunked) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (true) {
      int eol = indexOf(chunked, new byte[] {'\r', '\n'}, i);
      if (eol < 0) {
        throw new IOException("truncated chunked body");
      }
      String sizeLine = new String(chunked, i, eol - i, StandardCharsets.ISO_8859_1);
      int semi = sizeLine.indexOf(';');
      int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip(), 16);
      i = eol + 2;
      if (size == 0) {
        return out.toByteArray();
      }
      out.write(chunked, i, size);
      i += size + 2;
    }
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
