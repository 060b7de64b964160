package dev.etagguard.reliability;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.etagguard.testing.ResourceServlet;

/**
 * The test-jar's {@link ResourceServlet} with the faults a handler can have inside a guarded
 * request, selected by query parameters: {@code forward=PATH} and {@code include=PATH} dispatch to
 * another path of the webapp (the dispatched request stores or serves as usual),
 * {@code bigpost=N} answers a POST with N bytes. Under {@code /errors/} it serves the error page
 * the container renders for a guarded request ({@link #ERROR_PAGE_MARKER}, whatever the method).
 */
final class FaultServlet extends ResourceServlet {

  private static final long serialVersionUID = 1L;

  /** The text of the error page. */
  static final String ERROR_PAGE_MARKER = "error page of the test webapp";

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getPathInfo() == null ? req.getServletPath() : req.getServletPath() + req.getPathInfo();
    if (req.getDispatcherType() == DispatcherType.ERROR || path.startsWith("/errors/")) {
      resp.setContentType("text/plain");
      resp.getOutputStream().write((ERROR_PAGE_MARKER + " (" + req.getAttribute("jakarta.servlet.error.status_code")
          + ")").getBytes(StandardCharsets.UTF_8));
      return;
    }
    if (req.getDispatcherType() == DispatcherType.REQUEST) {
      String forward = req.getParameter("forward");
      String include = req.getParameter("include");
      try {
        if (forward != null) {
          req.getRequestDispatcher(forward).forward(req, resp);
          return;
        }
        if (include != null) {
          req.getRequestDispatcher(include).include(req, resp);
          return;
        }
      } catch (ServletException e) {
        throw new IOException(e);
      }
      String bigpost = req.getParameter("bigpost");
      if (bigpost != null && "POST".equals(req.getMethod())) {
        req.getInputStream().readAllBytes();
        byte[] chunk = new byte[8192];
        long n = Long.parseLong(bigpost);
        try (OutputStream out = resp.getOutputStream()) {
          for (long sent = 0; sent < n; sent += chunk.length) {
            out.write(chunk);
          }
        }
        return;
      }
    }
    super.service(req, resp);
  }
}
