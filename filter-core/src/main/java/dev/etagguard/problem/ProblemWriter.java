package dev.etagguard.problem;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.core.json.JsonFactory;

/**
 * Writes {@link Problem}s as {@code application/problem+json} (RFC 9457) with Jackson's
 * streaming generator: members {@code type}, {@code title}, {@code status}, {@code detail} and,
 * when known, {@code key}. Thread-safe.
 *
 * @since 0.1
 */
final class ProblemWriter {

  // The caller owns the stream (often a response body): closing the generator must not close it.
  private static final JsonFactory JSON = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build();

  private ProblemWriter() {
  }

  /** The problem as UTF-8 JSON bytes. */
  static byte[] toBytes(Problem problem) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    write(problem, out);
    return out.toByteArray();
  }

  /**
   * Writes the problem to a stream, leaving the stream open.
   *
   * @throws JacksonException when the stream fails
   */
  static void write(Problem problem, OutputStream out) {
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeStringProperty("type", problem.type());
      g.writeStringProperty("title", problem.title());
      g.writeNumberProperty("status", problem.status());
      g.writeStringProperty("detail", problem.detail());
      if (problem.key() != null) {
        g.writeStringProperty("key", problem.key());
      }
      g.writeEndObject();
    }
  }
}
