package dev.etagguard.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * One HTTP/1.1 exchange over a plain socket ({@code Connection: close}), read to the end of the
 * connection, so the test sees every byte the server sent: a body that does not match its
 * {@code Content-Length}, or bytes of one response before another's error page, fail
 * {@link Response#body()} instead of being hidden by a client.
 */
public final class Wire {

  private Wire() {
  }

  /** What came back: the status, the header lines, and every byte after the header block. */
  public record Response(int status, List<String> headerLines, byte[] rest, boolean head) {

    /** The value of the first field of this name, or {@code null}. */
    public String header(String name) {
      List<String> values = headers(name);
      return values.isEmpty() ? null : values.get(0);
    }

    /** The values of every field of this name, in order. */
    public List<String> headers(String name) {
      List<String> values = new ArrayList<>();
      for (String line : headerLines) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          values.add(line.substring(colon + 1).trim());
        }
      }
      return values;
    }

    /**
     * The body as framed: de-chunked, or exactly {@code Content-Length} bytes; throws when the
     * bytes on the wire do not frame a complete message that ends where the connection does.
     */
    public byte[] body() {
      if (head || status == 204 || status == 304 || status / 100 == 1) {
        if (rest.length != 0) {
          throw new AssertionError(rest.length + " bytes after a response without a body: " + preview());
        }
        return rest;
      }
      String te = header("Transfer-Encoding");
      if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
        return dechunk();
      }
      String length = header("Content-Length");
      if (length == null) {
        return rest; // delimited by the end of the connection
      }
      long declared = Long.parseLong(length);
      if (declared != rest.length) {
        throw new AssertionError("Content-Length " + declared + " but " + rest.length + " bytes: " + preview());
      }
      return rest;
    }

    /** The body, gunzipped when {@code Content-Encoding: gzip}. */
    public byte[] decodedBody() throws IOException {
      byte[] body = body();
      if ("gzip".equalsIgnoreCase(header("Content-Encoding"))) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
          return in.readAllBytes();
        }
      }
      return body;
    }

    private byte[] dechunk() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int i = 0;
      while (true) {
        int eol = indexOfCrlf(rest, i);
        if (eol < 0) {
          throw new AssertionError("truncated chunked body: " + preview());
        }
        String size = new String(rest, i, eol - i, StandardCharsets.US_ASCII);
        int semi = size.indexOf(';');
        int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        i = eol + 2;
        if (n == 0) {
          // Trailer fields (none expected), then the final CRLF, then nothing more.
          int end = indexOfCrlf(rest, i);
          while (end > i) {
            i = end + 2;
            end = indexOfCrlf(rest, i);
          }
          if (end != i || end + 2 != rest.length) {
            throw new AssertionError("bytes after the last chunk: " + preview());
          }
          return out.toByteArray();
        }
        if (i + n + 2 > rest.length) {
          throw new AssertionError("truncated chunk: " + preview());
        }
        out.write(rest, i, n);
        i += n + 2;
      }
    }

    private String preview() {
      return status + " " + headerLines + " "
          + new String(Arrays.copyOf(rest, Math.min(rest.length, 200)), StandardCharsets.ISO_8859_1);
    }
  }

  /** Sends {@code method} to {@code uri} with header name, value pairs, and reads the whole answer. */
  public static Response exchange(String method, URI uri, String... headers) throws IOException {
    if (headers.length % 2 != 0) {
      throw new IllegalArgumentException("headers come in name, value pairs");
    }
    String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
      socket.setSoTimeout(30_000);
      StringBuilder request = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
          .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
          .append("Connection: close\r\n");
      for (int i = 0; i < headers.length; i += 2) {
        request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      request.append("\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      byte[] all = socket.getInputStream().readAllBytes();
      int end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      if (end < 0) {
        throw new IOException("no complete header block in " + all.length + " bytes: "
            + new String(all, StandardCharsets.ISO_8859_1));
      }
      String[] lines = new String(all, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      return new Response(status, List.of(Arrays.copyOfRange(lines, 1, lines.length)),
          Arrays.copyOfRange(all, end + 4, all.length), "HEAD".equals(method));
    }
  }

  private static int indexOfCrlf(byte[] bytes, int from) {
    return indexOf(bytes, new byte[] {'\r', '\n'}, from);
  }

  private static int indexOf(byte[] bytes, byte[] what) {
    return indexOf(bytes, what, 0);
  }

  private static int indexOf(byte[] bytes, byte[] what, int from) {
    outer:
    for (int i = from; i <= bytes.length - what.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (bytes[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
