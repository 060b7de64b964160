package dev.etagguard.servlet;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.ServletResponseWrapper;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The container's response as the guard's capturing wrapper holds it on Tomcat: the same
 * response, behind a delegate that is not a {@code ServletResponseWrapper}. After a handler's own
 * {@code RequestDispatcher.forward} (a controller forwarding to a JSP view), Tomcat follows the
 * wrapper chain of the response it forwarded down to its {@code ResponseFacade} and finishes it
 * ({@code suspendWrappedResponseAfterForward}, default {@code true}): the body the guard holds
 * would never be sent. The delegate ends that walk before the facade, so Tomcat closes the
 * guard's wrapper instead, which ends the capture, and the guard sends the body as for any
 * handler. Other containers get their response unchanged.
 */
final class ForwardShield implements HttpServletResponse {

  private static final String TOMCAT_FACADE = "org.apache.catalina.connector.ResponseFacade";

  private final HttpServletResponse response;

  private ForwardShield(HttpServletResponse response) {
    this.response = response;
  }

  /** {@code response}, behind a shield when it is (or wraps) Tomcat's facade. */
  static HttpServletResponse around(HttpServletResponse response) {
    ServletResponse innermost = response;
    while (innermost instanceof ServletResponseWrapper wrapper) {
      innermost = wrapper.getResponse();
    }
    return innermost.getClass().getName().equals(TOMCAT_FACADE) ? new ForwardShield(response) : response;
  }

  // Everything else: the response itself.

  @Override
  public void addCookie(Cookie cookie) {
    response.addCookie(cookie);
  }

  @Override
  public boolean containsHeader(String name) {
    return response.containsHeader(name);
  }

  @Override
  public String encodeURL(String url) {
    return response.encodeURL(url);
  }

  @Override
  public String encodeRedirectURL(String url) {
    return response.encodeRedirectURL(url);
  }

  @Override
  public void sendError(int sc, String msg) throws IOException {
    response.sendError(sc, msg);
  }

  @Override
  public void sendError(int sc) throws IOException {
    response.sendError(sc);
  }

  @Override
  public void sendRedirect(String location) throws IOException {
    response.sendRedirect(location);
  }

  @Override
  public void setDateHeader(String name, long date) {
    response.setDateHeader(name, date);
  }

  @Override
  public void addDateHeader(String name, long date) {
    response.addDateHeader(name, date);
  }

  @Override
  public void setHeader(String name, String value) {
    response.setHeader(name, value);
  }

  @Override
  public void addHeader(String name, String value) {
    response.addHeader(name, value);
  }

  @Override
  public void setIntHeader(String name, int value) {
    response.setIntHeader(name, value);
  }

  @Override
  public void addIntHeader(String name, int value) {
    response.addIntHeader(name, value);
  }

  @Override
  public void setStatus(int sc) {
    response.setStatus(sc);
  }

  @Override
  public int getStatus() {
    return response.getStatus();
  }

  @Override
  public String getHeader(String name) {
    return response.getHeader(name);
  }

  @Override
  public Collection<String> getHeaders(String name) {
    return response.getHeaders(name);
  }

  @Override
  public Collection<String> getHeaderNames() {
    return response.getHeaderNames();
  }

  @Override
  public void setTrailerFields(Supplier<Map<String, String>> supplier) {
    response.setTrailerFields(supplier);
  }

  @Override
  public Supplier<Map<String, String>> getTrailerFields() {
    return response.getTrailerFields();
  }

  @Override
  public String getCharacterEncoding() {
    return response.getCharacterEncoding();
  }

  @Override
  public String getContentType() {
    return response.getContentType();
  }

  @Override
  public ServletOutputStream getOutputStream() throws IOException {
    return response.getOutputStream();
  }

  @Override
  public PrintWriter getWriter() throws IOException {
    return response.getWriter();
  }

  @Override
  public void setCharacterEncoding(String charset) {
    response.setCharacterEncoding(charset);
  }

  @Override
  public void setContentLength(int len) {
    response.setContentLength(len);
  }

  @Override
  public void setContentLengthLong(long len) {
    response.setContentLengthLong(len);
  }

  @Override
  public void setContentType(String type) {
    response.setContentType(type);
  }

  @Override
  public void setBufferSize(int size) {
    response.setBufferSize(size);
  }

  @Override
  public int getBufferSize() {
    return response.getBufferSize();
  }

  @Override
  public void flushBuffer() throws IOException {
    response.flushBuffer();
  }

  @Override
  public void resetBuffer() {
    response.resetBuffer();
  }

  @Override
  public boolean isCommitted() {
    return response.isCommitted();
  }

  @Override
  public void reset() {
    response.reset();
  }

  @Override
  public void setLocale(Locale locale) {
    response.setLocale(locale);
  }

  @Override
  public Locale getLocale() {
    return response.getLocale();
  }
}
