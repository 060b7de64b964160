package dev.etagguard.servlet;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import dev.etagguard.ContentRate;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;

import org.jspecify.annotations.Nullable;

/**
 * A write's request content, received before the write waits for its resource's permit, so that
 * a client sending slowly delays only itself: the first {@value #IN_MEMORY} bytes are kept in
 * memory, the rest in a temporary file deleted by {@link #close()}, up to {@link #LIMIT} bytes;
 * content beyond that streams from the client to the handler under the permit, at no less than the
 * write's {@link ContentRate} (option {@code minContentRate}). The handler reads it through
 * {@link #open(ContentRate)}, as it would the container's stream.
 *
 * <p>A client that waits to hear first ({@code Expect: 100-continue}) sends its content only when
 * the handler reads it: the guard decides first, so a refusal (412) costs no upload, and the
 * content is then read under the permit, as the client asked, at no less than that rate.
 *
 * <p>Form content ({@code application/x-www-form-urlencoded} and {@code multipart/form-data}) is
 * left to the container and read by the handler under the permit: a handler may read it raw or
 * as parameters and parts, which the container parses from its own stream.
 */
final class SpooledContent implements AutoCloseable {

  /** The bytes of content kept in memory; the rest goes to a temporary file. */
  static final int IN_MEMORY = 64 * 1024;

  /**
   * The most bytes received before the permit: content beyond streams from the client to the
   * handler under the permit, so no request holds more than this on disk.
   */
  static final long LIMIT = 8L * 1024 * 1024;

  private final byte[] head;
  private final int headLength;
  private final @Nullable Path file;
  private final long length;
  private final @Nullable ServletInputStream rest;

  private SpooledContent(byte[] head, int headLength, @Nullable Path file, long length,
      @Nullable ServletInputStream rest) {
    this.head = head;
    this.headLength = headLength;
    this.file = file;
    this.length = length;
    this.rest = rest;
  }

  /**
   * Receives the request's content, or returns {@code null} when there is none to receive here
   * (no content, a form the container has now parsed, multipart).
   *
   * @throws IOException when the content cannot be read to its end (the client stopped or broke off)
   */
  static @Nullable SpooledContent receive(HttpServletRequest request) throws IOException {
    long declared = request.getContentLengthLong();
    boolean framed = declared >= 0 || request.getHeader("Transfer-Encoding") != null
        || !request.getProtocol().startsWith("HTTP/1"); // HTTP/2 and 3 frame content without either field
    if (declared == 0 || !framed || request.getHeader("Expect") != null) {
      return null; // no content, or a client that waits to hear first (Expect: 100-continue)
    }
    String type = request.getContentType() == null ? "" : request.getContentType().toLowerCase(Locale.ROOT);
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")) {
      return null; // the handler may read it raw or as parameters, which the container parses from its own stream
    }
    ServletInputStream in = request.getInputStream();
    byte[] head = new byte[(int) Math.min(IN_MEMORY, declared > 0 ? declared : 8192)];
    int filled = 0;
    for (int n; (n = in.read(head, filled, head.length - filled)) != -1; ) {
      filled += n;
      if (filled == head.length) {
        if (head.length == IN_MEMORY || declared > 0) {
          break;
        }
        head = java.util.Arrays.copyOf(head, Math.min(IN_MEMORY, head.length * 2)); // unknown length: grow
      }
    }
    int next = filled < head.length ? -1 : in.read();
    if (next == -1) {
      return complete(new SpooledContent(head, filled, null, filled, null), declared);
    }
    // More than the in-memory part: the rest, from the byte just read, goes to a file.
    Path file = Files.createTempFile("etag-guard-content", ".tmp");
    long length = filled + 1L;
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(next);
      byte[] buffer = new byte[8192];
      while (length < LIMIT) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, LIMIT - length));
        if (n == -1) {
          break;
        }
        out.write(buffer, 0, n);
        length += n;
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
    if (length >= LIMIT && declared != length) {
      return new SpooledContent(head, filled, file, -1, in); // the rest streams from the client
    }
    return complete(new SpooledContent(head, filled, file, length, null), declared);
  }

  private static SpooledContent complete(SpooledContent content, long declared) throws IOException {
    if (declared > 0 && content.length != declared) {
      content.close();
      throw new java.io.EOFException("Request content ended after " + content.length + " of " + declared + " bytes");
    }
    return content;
  }

  /**
   * A fresh stream over the whole content: what was received, then, for content beyond
   * {@link #LIMIT}, the rest as the client sends it (which only the first stream can read), at no
   * less than {@code rate}.
   */
  ServletInputStream open(ContentRate rate) throws IOException {
    InputStream whole = new ByteArrayInputStream(head, 0, headLength);
    if (file != null) {
      whole = new SequenceInputStream(whole, Files.newInputStream(file));
    }
    if (rest != null) {
      whole = new SequenceInputStream(whole, new MeteredInput(rest, rate));
    }
    return new Stream(whole);
  }

  /** Deletes the temporary file, if any. */
  @Override
  public void close() {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        file.toFile().deleteOnExit();
      }
    }
  }

  /** The content as a Servlet stream: read blocking; a read listener is told at once. */
  private static final class Stream extends ServletInputStream {
    private final InputStream in;
    private boolean finished;

    Stream(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      finished |= b < 0;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      finished |= n < 0;
      return n;
    }

    @Override
    public boolean isFinished() {
      return finished;
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setReadListener(ReadListener listener) {
      try {
        if (!isFinished()) {
          listener.onDataAvailable();
        }
        listener.onAllDataRead();
      } catch (IOException e) {
        listener.onError(e);
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
