package dev.etagguard.servlet;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Map;

import dev.etagguard.Answer;
import dev.etagguard.problem.Problem;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;

/** The guard's answers and the handlers' held responses, written to a servlet response. */
final class ServletAnswers {

  private static final System.Logger LOG = System.getLogger(ServletAnswers.class.getName());

  /** The most request content read and dropped after the guard answered a write itself. */
  private static final int DISCARD_LIMIT = 64 * 1024;

  private ServletAnswers() {
  }

  /** At the spill: apply a decision made on the handler's own validators; true to stream the body. */
  static boolean applyEarly(ReadDecision decision, HttpServletResponse response, boolean head)
      throws IOException {
    switch (decision.action()) {
      case NOT_MODIFIED -> {
        notModified(response, decision.headers());
        return false;
      }
      case REJECT -> {
        response.reset();
        send(response, decision.answer());
        return false;
      }
      default -> {
        setHeaders(response, decision.headers());
        return !head;
      }
    }
  }

  /**
   * A 304 with the decision's fields, committed at once: a container that completes an
   * uncommitted response without a length declares the bytes written (Jetty: {@code
   * Content-Length: 0}), which in a 304 would be a length the 200 does not have (RFC 9110 8.6).
   * The handler's Content-Type goes: a 304 carries no representation metadata beyond the fields
   * RFC 9110 15.4.5 lists (Tomcat's connector drops it itself, Jetty does not).
   */
  static void notModified(HttpServletResponse response, Map<String, String> headers) throws IOException {
    response.setStatus(304);
    response.setContentType(null);
    setHeaders(response, headers);
    response.flushBuffer();
  }

  /** Writes the held body (or a range of it) to the real response, with its length. */
  static void writeHeld(HttpServletResponse response, CaptureStream body, @Nullable ByteRange range,
      boolean head, long declaredLength) throws IOException {
    long count = body.count();
    if (range == null) {
      if (declaredLength >= 0 && count == 0) {
        response.setContentLengthLong(declaredLength); // e.g. a HEAD answered by the handler with a length
      } else if (count > 0 || response.getStatus() != 204 && response.getStatus() != 304) {
        response.setContentLengthLong(count);
      }
      if (!head && count > 0) {
        ServletOutputStream out = response.getOutputStream();
        out.write(body.buffer(), 0, (int) count);
      }
    } else {
      response.setContentLengthLong(range.length());
      if (!head) {
        response.getOutputStream().write(body.buffer(), (int) range.first(), (int) range.length());
      }
    }
  }

  /**
   * After the guard answered a write itself (428, 400, 412, 503), reads and drops the request
   * content the handler never read, at most {@value #DISCARD_LIMIT} bytes, as Tomcat swallows it:
   * a container that finds content unread when the exchange ends closes the connection (Jetty
   * does so without a {@code Connection: close} in the answer), and a client may by then have
   * sent its next request on that connection. The answer is flushed first, so it never waits for
   * the content; with {@code Expect: 100-continue} the client has sent none and nothing is read.
   */
  static void discardContent(HttpServletRequest request, HttpServletResponse response) {
    long length = request.getContentLengthLong();
    if (length == 0 || length < 0 && request.getHeader("Transfer-Encoding") == null
        || request.getHeader("Expect") != null) {
      return;
    }
    try {
      response.flushBuffer();
      ServletInputStream in = request.getInputStream();
      byte[] buffer = new byte[8192];
      long read = 0;
      for (int n = 0; n >= 0 && read < DISCARD_LIMIT; n = in.read(buffer)) {
        read += n;
      }
    } catch (IOException | IllegalStateException e) {
      // The client is gone, or the stream is not available: the container closes the connection.
      LOG.log(Level.DEBUG, () -> "Request content not discarded", e);
    }
  }

  static void setHeaders(HttpServletResponse response, Map<String, String> headers) {
    headers.forEach(response::setHeader);
  }

  /** Writes one of the guard's own answers. */
  static void send(HttpServletResponse response, @Nullable Answer answer) throws IOException {
    if (answer == null) {
      return;
    }
    response.setStatus(answer.status());
    setHeaders(response, answer.headers());
    if (answer.problem() != null) {
      byte[] body = answer.body();
      response.setContentType(Problem.MEDIA_TYPE);
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    }
  }
}
