package dev.etagguard.servlet;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Locale;
import java.util.function.BooleanSupplier;

import dev.etagguard.BodyBuffer;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

import org.jspecify.annotations.Nullable;

/**
 * Holds a handler's response body until the guard has decided, digesting it on the way.
 *
 * <p>Status and headers go to the real response at once (it stays uncommitted while the body is
 * held); Content-Length is held back, since a 206 or 304 changes it. Flushes are ignored while
 * holding. When the body outgrows {@code maxBufferSize}, when the request goes async, or for an
 * event stream, the response becomes pass-through: held bytes are written out and the rest
 * streams untouched, without a generated ETag. {@code sendError} and {@code sendRedirect} go
 * straight to the container.
 *
 * <p>When the host reports its error state (a Tomcat valve does: the handler called
 * {@code sendError}, or the container caught an exception) the wrapper is transparent, so an
 * error page the container renders through it reaches the client untouched.
 */
class CapturingResponse extends HttpServletResponseWrapper {

  /** Decides what happens when the response can no longer be held. */
  interface Spill {
    /**
     * The response is about to stream. Set headers on {@code response} as needed.
     *
     * @return {@code true} to stream the body, {@code false} to discard it (an answer was sent)
     */
    boolean onSpill(CapturingResponse response) throws IOException;
  }

  private final CaptureStream stream;
  private final Spill spill;
  private @Nullable PrintWriter writer;
  private boolean usingStream;
  private long declaredLength = -1;
  private final BooleanSupplier containerError;
  private boolean errorSent;
  private volatile boolean awaitingClaim;

  CapturingResponse(HttpServletResponse response, BodyBuffer body, Spill spill, BooleanSupplier containerError) {
    super(response);
    this.spill = spill;
    this.containerError = containerError;
    this.stream = new CaptureStream(body, this::overflow);
  }

  private @Nullable ServletOutputStream overflow() throws IOException {
    if (!spill.onSpill(this)) {
      return null;
    }
    if (declaredLength >= 0) {
      super.setContentLengthLong(declaredLength);
    }
    return super.getOutputStream();
  }

  /** The capture. */
  CaptureStream capture() {
    return stream;
  }

  /** Whether the handler called {@code sendError} or {@code sendRedirect}: the container owns the response. */
  boolean errorSent() {
    return errorSent;
  }

  /**
   * Whether the container owns the response: {@link #errorSent()}, or the host reports its error
   * state. The guard then leaves the response alone.
   */
  boolean containerOwned() {
    return errorSent || containerError.getAsBoolean();
  }

  /**
   * Whether the wrapper passes everything through: the host reports its error state, so the
   * container is rendering (or about to render) an error page through this wrapper.
   */
  private boolean transparent() {
    return containerError.getAsBoolean();
  }

  /** Stops holding: from now on the body streams (used when the request goes async). */
  void passThrough() throws IOException {
    flushWriter();
    stream.spill();
  }

  /**
   * The handler dispatched its async result: unless the guard claims the ASYNC dispatch
   * ({@link #claimed()}) before the handler asks for the body's stream or writer, the guard does
   * not see that dispatch end (a filter mapped for REQUEST only), and the body streams.
   */
  void awaitClaim() {
    awaitingClaim = true;
  }

  /** The guard runs the ASYNC dispatch: the body stays held. */
  void claimed() {
    awaitingClaim = false;
  }

  private void streamUnlessClaimed() throws IOException {
    if (awaitingClaim) {
      awaitingClaim = false;
      passThrough();
    }
  }

  /** Flushes characters the handler's writer still holds into the capture. */
  void flushWriter() {
    if (writer != null) {
      writer.flush();
    }
  }

  @Override
  public ServletOutputStream getOutputStream() throws IOException {
    if (transparent()) {
      return super.getOutputStream();
    }
    if (writer != null) {
      throw new IllegalStateException("getWriter() has already been called for this response");
    }
    streamUnlessClaimed();
    usingStream = true;
    return stream;
  }

  @Override
  public PrintWriter getWriter() throws IOException {
    if (transparent()) {
      return super.getWriter();
    }
    if (usingStream) {
      throw new IllegalStateException("getOutputStream() has already been called for this response");
    }
    streamUnlessClaimed();
    if (writer == null) {
      String encoding = getCharacterEncoding();
      Charset charset = Charsets.orLatin1(encoding);
      // As the container would: once a writer is obtained, the charset is part of Content-Type.
      if (encoding != null && getContentType() != null && !getContentType().toLowerCase(Locale.ROOT).contains("charset")) {
        super.setCharacterEncoding(encoding);
      }
      writer = new CaptureWriter(stream, charset);
    }
    return writer;
  }

  /**
   * The handler's writer. While the body is held it buffers characters like any writer; once the
   * response streams (async processing, an overflow) each write is encoded into the stream at
   * once, since nobody would flush it when the container completes an async response.
   * {@link #flush()} also flushes the stream.
   */
  private static final class CaptureWriter extends PrintWriter {
    private final CaptureStream stream;
    private final OutputStreamWriter encoder;

    CaptureWriter(CaptureStream stream, Charset charset) {
      this(stream, new OutputStreamWriter(new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          stream.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          stream.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          stream.close();
        }
        // flush(): the encoder's flushes stay here; PrintWriter.flush() flushes the stream.
      }, charset));
    }

    private CaptureWriter(CaptureStream stream, OutputStreamWriter encoder) {
      super(encoder, false);
      this.stream = stream;
      this.encoder = encoder;
    }

    @Override
    public void write(int c) {
      super.write(c);
      encodeIfStreaming();
    }

    @Override
    public void write(char[] buf, int off, int len) {
      super.write(buf, off, len);
      encodeIfStreaming();
    }

    @Override
    public void write(String s, int off, int len) {
      super.write(s, off, len);
      encodeIfStreaming();
    }

    @Override
    public void flush() {
      super.flush();
      try {
        stream.flush();
      } catch (IOException e) {
        setError();
      }
    }

    private void encodeIfStreaming() {
      if (!stream.complete()) {
        try {
          encoder.flush();
        } catch (IOException e) {
          setError();
        }
      }
    }
  }

  @Override
  public void setContentLength(int len) {
    setContentLengthLong(len);
  }

  @Override
  public void setContentLengthLong(long len) {
    if (stream.complete() && !transparent()) {
      declaredLength = len;
      stream.expectLength(len);
    } else {
      super.setContentLengthLong(len);
    }
  }

  @Override
  public void setHeader(String name, @Nullable String value) {
    if ("Content-Length".equalsIgnoreCase(name)) {
      setContentLengthLong(parseLength(value));
      return;
    }
    super.setHeader(name, value);
    checkStreaming(name, value);
  }

  @Override
  public void addHeader(String name, @Nullable String value) {
    if ("Content-Length".equalsIgnoreCase(name)) {
      setContentLengthLong(parseLength(value));
      return;
    }
    super.addHeader(name, value);
    checkStreaming(name, value);
  }

  @Override
  public void setContentType(@Nullable String type) {
    super.setContentType(type);
    checkStreaming("Content-Type", type);
  }

  private static long parseLength(@Nullable String value) {
    try {
      return value == null ? -1 : Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Event streams are never held: they must reach the client as they are written. */
  private void checkStreaming(String name, @Nullable String value) {
    if (value != null && value.regionMatches(true, 0, "text/event-stream", 0, 17)
        && "Content-Type".equalsIgnoreCase(name)) {
      try {
        passThrough();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** The Content-Length the handler declared, or -1. */
  long declaredLength() {
    return declaredLength;
  }

  @Override
  public void flushBuffer() throws IOException {
    if (!stream.complete() || transparent()) {
      flushWriter();
      super.flushBuffer();
    }
  }

  @Override
  public void resetBuffer() {
    if (transparent()) {
      super.resetBuffer();
    } else if (stream.complete()) {
      stream.reset();
      writer = null;
      usingStream = false;
    } else {
      super.resetBuffer();
    }
  }

  @Override
  public void reset() {
    super.reset();
    declaredLength = -1;
    resetBuffer();
  }

  @Override
  public boolean isCommitted() {
    return super.isCommitted();
  }

  @Override
  public void sendError(int sc, @Nullable String msg) throws IOException {
    errorSent = true;
    stream.reset();
    super.sendError(sc, msg);
  }

  @Override
  public void sendError(int sc) throws IOException {
    errorSent = true;
    stream.reset();
    super.sendError(sc);
  }

  @Override
  public void sendRedirect(String location) throws IOException {
    errorSent = true;
    stream.reset();
    super.sendRedirect(location);
  }
}
