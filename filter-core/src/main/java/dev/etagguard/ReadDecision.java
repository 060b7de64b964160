package dev.etagguard;

import java.util.Map;

import dev.etagguard.http.ByteRange;

import org.jspecify.annotations.Nullable;

/**
 * What an adapter does with a GET or HEAD response once the handler has produced it.
 *
 * @param action the action
 * @param headers header fields to set on the response (generated ETag, supplied Last-Modified)
 * @param range the part to send, for {@link Action#PARTIAL}
 * @param answer the answer to send instead, for {@link Action#REJECT}
 * @since 0.1
 */
public record ReadDecision(Action action, Map<String, String> headers, @Nullable ByteRange range,
    @Nullable Answer answer) {

  /** What to do. */
  public enum Action {
    /** Send the handler's response as it is. */
    PASS,
    /** Send the handler's full response with {@link #headers()} set. */
    FULL,
    /** Send 206 with {@link #range()} of the body, Content-Range, and {@link #headers()} set. */
    PARTIAL,
    /** Send 304 with {@link #headers()} set and no body. */
    NOT_MODIFIED,
    /** Discard the handler's response and send {@link #answer()} (412 or 416). */
    REJECT
  }

  static final ReadDecision PASS = new ReadDecision(Action.PASS, Map.of(), null, null);

  /** Copies the headers (fields the engine built for this decision alone are taken as they are). */
  public ReadDecision {
    headers = headers.isEmpty() ? Map.of()
        : java.util.Collections.unmodifiableMap(headers instanceof Fields ? headers : new java.util.LinkedHashMap<>(headers));
  }

  /** Header fields the engine builds for one decision and hands over without a copy. */
  static final class Fields extends java.util.LinkedHashMap<String, String> {
    private static final long serialVersionUID = 1L;

    Fields() {
      super(4);
    }
  }
}
