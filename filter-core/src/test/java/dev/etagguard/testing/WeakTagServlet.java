package dev.etagguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A {@link ResourceServlet} whose GET responses carry a weak ETag of its own, {@code W/"<digest>"},
 * as stacks that only have weak tags do.
 */
public class WeakTagServlet extends ResourceServlet {

  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getPathInfo() == null ? req.getServletPath() : req.getServletPath() + req.getPathInfo();
    byte[] body = store.get(path);
    if (body != null && ("GET".equals(req.getMethod()) || "HEAD".equals(req.getMethod()))) {
      resp.setHeader("ETag", "W/\"" + digest(body) + "\"");
    }
    super.service(req, resp);
  }

  private static String digest(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The body's text, for assertions. */
  public String text(String path) {
    byte[] body = store.get(path);
    return body == null ? null : new String(body, StandardCharsets.UTF_8);
  }
}
