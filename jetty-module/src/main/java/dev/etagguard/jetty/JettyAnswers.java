package dev.etagguard.jetty;

import java.nio.ByteBuffer;

import dev.etagguard.Answer;
import dev.etagguard.BodyBuffer;
import dev.etagguard.problem.Problem;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.ByteRange;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/** The guard's answers and the handlers' held responses, written to a Jetty core response. */
final class JettyAnswers {

  private JettyAnswers() {
  }

  static void apply(ReadDecision decision, Request request, Response response, @Nullable BodyBuffer body,
      boolean head, Callback callback) {
    switch (decision.action()) {
      case PASS, FULL -> {
        decision.headers().forEach(response.getHeaders()::put);
        writeHeld(response, body, 0, body == null ? 0 : body.count(), head, callback);
      }
      case PARTIAL -> {
        ByteRange range = decision.range();
        decision.headers().forEach(response.getHeaders()::put);
        response.setStatus(206);
        response.getHeaders().put(HttpHeader.CONTENT_RANGE, range.contentRange(body.count()));
        writeHeld(response, body, range.first(), range.length(), head, callback);
      }
      case NOT_MODIFIED -> {
        response.setStatus(304);
        decision.headers().forEach(response.getHeaders()::put);
        response.getHeaders().remove(HttpHeader.CONTENT_LENGTH);
        response.getHeaders().remove(HttpHeader.CONTENT_TYPE); // RFC 9110 15.4.5: no representation metadata
        // One write commits and completes it; the stream drops the length Jetty declares for it.
        request.addHttpStreamWrapper(stream -> new NotModifiedStream(stream, response));
        response.write(true, null, callback);
      }
      case REJECT -> {
        response.reset();
        send(decision.answer(), response, callback);
      }
    }
  }

  /**
   * The exchange's stream once the guard answers 304. Jetty declares the bytes written as the
   * length of a response committed by its last write, {@code Content-Length: 0} for a 304: a
   * length the 200 does not have (RFC 9110 8.6). This stream drops it as the response is
   * committed, so one write sends the 304 (committing first and completing after costs a second
   * pass through Jetty's send path).
   */
  private static final class NotModifiedStream extends HttpStream.Wrapper {
    private final Response response;

    NotModifiedStream(HttpStream wrapped, Response response) {
      super(wrapped);
      this.response = response;
    }

    @Override
    public void prepareResponse(HttpFields.Mutable headers) {
      if (response.getStatus() == 304) {
        headers.remove(HttpHeader.CONTENT_LENGTH);
        headers.remove(HttpHeader.CONTENT_TYPE);
      }
      super.prepareResponse(headers);
    }
  }

  static void writeHeld(Response response, @Nullable BodyBuffer body, long from, long length, boolean head,
      Callback callback) {
    int status = response.getStatus();
    if (body == null || (length == 0 && (status == 204 || status == 304))) {
      response.write(true, null, callback);
      return;
    }
    if (!head || length > 0) {
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
    }
    response.write(true, head ? null : body.slice(from, length), callback);
  }

  /**
   * Before the guard answers a write itself (428, 400, 412, 503): consumes the request content
   * that has arrived, and when some has not, announces {@code Connection: close} (HTTP/1). Jetty
   * closes a connection whose request content is left unread when the exchange ends; without the
   * announcement a client could send its next request on a connection that is being closed.
   */
  static void consumeOrClose(Request request, Response response) {
    if (!request.consumeAvailable() && request.getConnectionMetaData().getHttpVersion().getVersion() <= 11) {
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }
  }

  /** Writes one of the guard's own answers. */
  static void send(@Nullable Answer answer, Response response, Callback callback) {
    if (answer == null) {
      callback.succeeded();
      return;
    }
    response.setStatus(answer.status());
    answer.headers().forEach(response.getHeaders()::put);
    if (answer.problem() == null) {
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
      response.write(true, null, callback);
      return;
    }
    byte[] bytes = answer.body();
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problem.MEDIA_TYPE);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }
}
