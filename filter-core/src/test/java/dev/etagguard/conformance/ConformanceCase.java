package dev.etagguard.conformance;

import java.util.List;
import java.util.Map;

/**
 * One row of {@code conformance/cases.json}: a black-box fact about RFC 9110 section 13 or the
 * 428 policy. See {@code conformance/README.md} for the keys, fixtures and placeholders.
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
 */
public record ConformanceCase(String id, String source, String method, boolean exists,
    Map<String, List<String>> headers, int expectStatus, List<Integer> acceptable, String level,
    String fixture, String body, Map<String, String> expectHeaders, String notes) {

  /** Whether the row's notes mark it as changing the resource between two requests. */
  public boolean stateful() {
    return notes.contains("STATEFUL");
  }

  /** Whether the row is about the 428 policy (needs a guarded path). */
  public boolean policy() {
    return "policy".equals(level);
  }

  @Override
  public String toString() {
    return id + " " + method + " " + fixture + " " + headers;
  }
}
