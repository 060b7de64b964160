package dev.etagguard.servlet;

import dev.etagguard.spi.ResponseView;

import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/** A {@link ResponseView} over a servlet response. */
record ServletResponseView(HttpServletResponse response) implements ResponseView {

  @Override
  public int status() {
    return response.getStatus();
  }

  @Override
  public @Nullable String header(String name) {
    return response.getHeader(name);
  }

  @Override
  public java.util.List<String> headers(String name) {
    return java.util.List.copyOf(response.getHeaders(name));
  }
}
