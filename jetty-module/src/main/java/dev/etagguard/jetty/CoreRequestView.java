package dev.etagguard.jetty;

import java.util.List;

import dev.etagguard.spi.RequestView;

import org.eclipse.jetty.server.Request;
import org.jspecify.annotations.Nullable;

/** A {@link RequestView} over a Jetty core request: the encoded path within the context. */
record CoreRequestView(Request request) implements RequestView {

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    String path = Request.getPathInContext(request);
    return path == null || path.isEmpty() ? "/" : path;
  }

  @Override
  public @Nullable String query() {
    return request.getHttpURI().getQuery();
  }

  @Override
  public List<String> headers(String name) {
    // Most headers asked for are absent: get answers that without building a list.
    return request.getHeaders().get(name) == null ? List.of() : request.getHeaders().getValuesList(name);
  }
}
