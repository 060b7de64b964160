package dev.etagguard.servlet;

import dev.etagguard.Exchange;
import dev.etagguard.http.EntityTag;

import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/**
 * A handler's response as the Servlet host captured it: status and fields on the response,
 * the body in its {@link CaptureStream}.
 *
 * @param response the response the fields are set on
 * @param body the captured body
 * @param declaredLength the length the handler declared, {@code -1} for none
 * @param answered whether the container (or the host) answered: the flow sends nothing
 * @param untagged whether the handler asked for its response to go out as it is
 * @param contentTag the request content's tag, as the handler read it, or {@code null}
 * @param contentLength the request content the handler read to the end, or {@code -1}
 */
record ServletCaptured(HttpServletResponse response, CaptureStream body, long declaredLength, boolean answered,
    boolean untagged, @Nullable EntityTag contentTag, long contentLength) implements Exchange.Captured {

  /** A captured response of a handler's (a read's, or an internal GET's). */
  static ServletCaptured of(HttpServletResponse response, CaptureStream body, long declaredLength) {
    return new ServletCaptured(response, body, declaredLength, false, false, null, -1);
  }

  /** A response the container owns: the flow leaves it alone. */
  static ServletCaptured answered(HttpServletResponse response, CaptureStream body) {
    return new ServletCaptured(response, body, -1, true, false, null, -1);
  }

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

  @Override
  public boolean held() {
    return body.complete();
  }

  @Override
  public long length() {
    return body.count();
  }

  @Override
  public @Nullable EntityTag digest() {
    return body.finishDigest();
  }
}
