package dev.etagguard.conformance.kit;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * One row of the conformance cases ({@code cases.json} beside this class): a black-box fact about
 * RFC 9110 section 13 or the 428 policy (RFC 6585 section 3). The {@code README.md} beside it
 * explains the keys, fixtures and placeholders. Immutable.
 *
 * @param id the row id
 * @param source where the fact comes from
 * @param method the request method
 * @param exists whether the resource exists before the request
 * @param headers request headers: each a list of field lines in order (one element for a plain value)
 * @param expectStatus what the peer suite asserts
 * @param acceptable the statuses this project accepts: {@code rfc_status} (the RFC wins)
 * @param level must, rfc, impl, should or policy
 * @param fixture RS, RW, RE, RL, R0, RN, RC, RM, RH or RF
 * @param body the request body of PUT rows, or {@code null}
 * @param expectHeaders expected response headers, or empty
 * @param notes the row's notes
 * @since 0.1
 */
public record ConformanceCase(String id, String source, String method, boolean exists,
    Map<String, List<String>> headers, int expectStatus, List<Integer> acceptable, String level,
    String fixture, @Nullable String body, Map<String, String> expectHeaders, String notes) {

  /** Whether the row's notes mark it as changing the resource between two requests. */
  public boolean stateful() {
    return notes.contains("STATEFUL");
  }

  /** Whether the row is about the 428 policy (needs a collection whose writes must be conditional). */
  public boolean policy() {
    return "policy".equals(level);
  }

  /** The request as a short line: method and headers with their placeholders, e.g. {@code GET If-Match: {etag}}. */
  public String request() {
    StringBuilder sb = new StringBuilder(method);
    headers.forEach((name, lines) -> sb.append(' ').append(name).append(": ").append(String.join(" | ", lines)));
    return sb.toString();
  }

  @Override
  public String toString() {
    return id + " " + method + " " + fixture + " " + headers;
  }
}
