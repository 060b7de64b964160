package dev.etagguard.jetty;

import java.util.List;

import dev.etagguard.spi.RequestView;
import dev.etagguard.support.Builtins;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.URIUtil;
import org.jspecify.annotations.Nullable;

/** A {@link RequestView} over a Jetty core request: the canonical path within the context, encoded as every adapter does. */
record CoreRequestView(Request request) implements RequestView {

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public @Nullable String protocol() {
    return request.getConnectionMetaData().getProtocol();
  }

  @Override
  public String path() {
    // Jetty's canonical path decodes some escapes and keeps others (%20, %3B): decode it fully and
    // encode it the one way every adapter does, so a resource has the key the servlet adapters give it.
    String path = Request.getPathInContext(request);
    if (path == null || path.isEmpty()) {
      return "/";
    }
    try {
      return Builtins.encodePath(URIUtil.decodePath(path));
    } catch (IllegalArgumentException e) {
      return path;
    }
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
