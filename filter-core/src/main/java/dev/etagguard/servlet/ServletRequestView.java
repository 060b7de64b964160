package dev.etagguard.servlet;

import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import dev.etagguard.spi.RequestView;

import jakarta.servlet.http.HttpServletRequest;

import org.jspecify.annotations.Nullable;

/** A {@link RequestView} over a servlet request: the raw path within the context. */
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
  public String path() {
    return pathInContext(request);
  }

  static String pathInContext(HttpServletRequest request) {
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
