package dev.etagguard.servlet;

import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import dev.etagguard.spi.RequestView;
import dev.etagguard.support.Builtins;

import jakarta.servlet.http.HttpServletRequest;

import org.jspecify.annotations.Nullable;

/** A {@link RequestView} over a servlet request: the path within the context as the container mapped it. */
final class ServletRequestView implements RequestView {

  private final HttpServletRequest request;

  ServletRequestView(HttpServletRequest request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public @Nullable String protocol() {
    return request.getProtocol();
  }

  @Override
  public String path() {
    return pathInContext(request);
  }

  /**
   * The path the container mapped the request to, servlet path plus path info (decoded, dot
   * segments and path parameters removed by the container), canonically encoded: every spelling
   * the container serves as one resource gives one path, and a dispatch to it reaches that
   * resource. The raw request URI only when the container mapped nothing.
   */
  static String pathInContext(HttpServletRequest request) {
    String servletPath = request.getServletPath();
    String pathInfo = request.getPathInfo();
    String mapped = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
    return mapped.isEmpty() ? rawPathInContext(request) : Builtins.encodePath(mapped);
  }

  private static String rawPathInContext(HttpServletRequest request) {
    String uri = request.getRequestURI();
    String context = request.getContextPath();
    return context != null && !context.isEmpty() && uri.startsWith(context) ? uri.substring(context.length()) : uri;
  }

  @Override
  public @Nullable String query() {
    return request.getQueryString();
  }

  @Override
  public List<String> headers(String name) {
    // Most headers asked for are absent: getHeader answers that without an Enumeration.
    if (request.getHeader(name) == null) {
      return List.of();
    }
    Enumeration<String> values = request.getHeaders(name);
    if (values == null || !values.hasMoreElements()) {
      return List.of();
    }
    String first = values.nextElement();
    if (!values.hasMoreElements()) {
      return List.of(first);
    }
    List<String> all = new java.util.ArrayList<>(Collections.list(values));
    all.add(0, first);
    return all;
  }
}
