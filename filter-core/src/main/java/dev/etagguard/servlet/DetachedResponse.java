package dev.etagguard.servlet;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import dev.etagguard.BodyBuffer;
import dev.etagguard.spi.ResponseView;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * The response of an internal GET: nothing reaches the real response. Status and headers are
 * recorded, the body is digested (up to the buffer limit) and discarded.
 *
 * <p>Deliberately not a {@code ServletResponseWrapper}: a container that unwraps the response
 * passed to a forward to finish the real one (Tomcat 11's default
 * {@code suspendWrappedResponseAfterForward}) finds nothing to finish, and the client's response
 * stays open for the request that asked.
 */
final class DetachedResponse implements HttpServletResponse, ResponseView {

  private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  private final CaptureStream stream;
  private @Nullable PrintWriter writer;
  private int status = 200;
  private @Nullable String characterEncoding;
  private @Nullable String contentType;

  private Locale locale = Locale.getDefault();

  DetachedResponse(BodyBuffer body) {
    this.stream = new CaptureStream(body, () -> null);
  }

  CaptureStream capture() {
    if (writer != null) {
      writer.flush();
    }
    return stream;
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public @Nullable String header(String name) {
    return getHeader(name);
  }

  @Override
  public ServletOutputStream getOutputStream() {
    return stream;
  }

  @Override
  public PrintWriter getWriter() {
    if (writer == null) {
      writer = new PrintWriter(new OutputStreamWriter(stream, Charsets.orLatin1(characterEncoding)), false);
    }
    return writer;
  }

  @Override
  public void setStatus(int sc) {
    status = sc;
  }

  @Override
  public int getStatus() {
    return status;
  }

  @Override
  public void sendError(int sc, @Nullable String msg) {
    status = sc;
  }

  @Override
  public void sendError(int sc) {
    status = sc;
  }

  @Override
  public void sendRedirect(String location) {
    status = 302;
    setHeader("Location", location);
  }

  @Override
  public void setHeader(String name, @Nullable String value) {
    if (value == null) {
      headers.remove(name);
    } else {
      headers.put(name, new ArrayList<>(List.of(value)));
    }
  }

  @Override
  public void addHeader(String name, @Nullable String value) {
    if (value != null) {
      headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
  }

  @Override
  public void setDateHeader(String name, long date) {
    setHeader(name, dev.etagguard.http.HttpDates.format(java.time.Instant.ofEpochMilli(date)));
  }

  @Override
  public void addDateHeader(String name, long date) {
    addHeader(name, dev.etagguard.http.HttpDates.format(java.time.Instant.ofEpochMilli(date)));
  }

  @Override
  public void setIntHeader(String name, int value) {
    setHeader(name, Integer.toString(value));
  }

  @Override
  public void addIntHeader(String name, int value) {
    addHeader(name, Integer.toString(value));
  }

  @Override
  public boolean containsHeader(String name) {
    return headers.containsKey(name);
  }

  @Override
  public @Nullable String getHeader(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  @Override
  public Collection<String> getHeaders(String name) {
    return List.copyOf(headers.getOrDefault(name, List.of()));
  }

  @Override
  public Collection<String> getHeaderNames() {
    return List.copyOf(headers.keySet());
  }

  @Override
  public void addCookie(Cookie cookie) {
    // An internal GET never changes the client's state.
  }

  @Override
  public void setContentType(@Nullable String type) {
    contentType = type;
    if (type != null) {
      int i = type.toLowerCase(Locale.ROOT).indexOf("charset=");
      if (i >= 0) {
        characterEncoding = type.substring(i + 8).strip();
      }
    }
  }

  @Override
  public @Nullable String getContentType() {
    return contentType;
  }

  @Override
  public void setCharacterEncoding(@Nullable String charset) {
    characterEncoding = charset;
  }

  @Override
  public String getCharacterEncoding() {
    return characterEncoding == null ? "ISO-8859-1" : characterEncoding;
  }

  @Override
  public void setContentLength(int len) {
  }

  @Override
  public void setContentLengthLong(long len) {
  }

  @Override
  public void setLocale(Locale loc) {
    locale = loc;
  }

  @Override
  public Locale getLocale() {
    return locale;
  }

  @Override
  public void setBufferSize(int size) {
  }

  @Override
  public int getBufferSize() {
    return 8192;
  }

  @Override
  public String encodeURL(String url) {
    return url;
  }

  @Override
  public String encodeRedirectURL(String url) {
    return url;
  }

  @Override
  public void flushBuffer() throws IOException {
  }

  @Override
  public void resetBuffer() {
    stream.reset();
  }

  @Override
  public void reset() {
    headers.clear();
    status = 200;
    stream.reset();
  }

  @Override
  public boolean isCommitted() {
    return false;
  }
}
