package dev.etagguard;

import dev.etagguard.problem.Problem;

import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A response the guard makes itself instead of (or in place of) the handler's: a status, header
 * fields to set, and an optional problem body. Adapters write it with their host's API.
 *
 * @param status the status code
 * @param headers header fields to set, in order
 * @param problem the problem body, or {@code null} for none
 * @since 0.1
 */
public record Answer(int status, Map<String, String> headers, @Nullable Problem problem) {

  /** Copies the headers. */
  public Answer {
    headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
  }

  /** The problem body as bytes, or an empty array. */
  public byte[] body() {
    return problem == null ? new byte[0] : problem.toJson();
  }
}
