package dev.etagguard;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;

import org.jspecify.annotations.Nullable;

/**
 * The last successful conditional write of each resource (option {@code retryRecognition}): the
 * method, the preconditions, a digest of the request content, and what the write left (the
 * resulting validators, the status and the validator fields of its answer). An identical request
 * that arrives while the resource still has exactly those validators is a retry of a write that
 * already succeeded (its answer was lost), and is answered with the original success instead of
 * 412 (RFC 9110 13.1.1 and 13.1.4 allow it). Bounded like the validator store; an entry that no
 * longer describes the resource's state is simply never used.
 */
final class RecentWrites {

  /**
   * One write.
   *
   * @param method the request method
   * @param preconditions the request's If-Match, If-None-Match and If-Unmodified-Since
   * @param client a digest of the request's credentials, cookies and Idempotency-Key (see {@link #client})
   * @param content the digest of the request content, or {@code null} for none
   * @param result the validators the write left (absent after a DELETE)
   * @param status the write's status
   * @param headers the validator fields of its answer
   */
  record Write(String method, String preconditions, String client, @Nullable EntityTag content, Validators result,
      int status, Map<String, String> headers) {

    /** Whether a {@code method} request from {@code client} with {@code conditions}, against {@code current}, repeats this write. */
    boolean repeatedBy(String method, RequestConditions conditions, String client, Validators current) {
      return this.method.equals(method) && preconditions.equals(RecentWrites.preconditions(conditions))
          && this.client.equals(client)
          && result.exists() == current.exists() && Objects.equals(result.etag(), current.etag());
    }
  }

  /** The request fields that tell one client's requests from another's, and that a retry repeats. */
  private static final List<String> CLIENT_FIELDS = List.of("Authorization", "Proxy-Authorization", "Cookie",
      "Idempotency-Key");

  /**
   * A digest of the fields of a request that tell its client apart (credentials, cookies, an
   * {@code Idempotency-Key}), {@code ""} when it has none. A retry repeats them; two clients that
   * send byte-identical writes without any of them cannot be told apart, and the second is
   * answered as a retry of the first (which is what PUT's idempotence promises).
   */
  static String client(RequestView request, EntityTagGenerator generator) {
    EntityTagGenerator.Digest digest = null;
    for (String name : CLIENT_FIELDS) {
      for (String value : request.headers(name)) {
        if (digest == null) {
          digest = generator.start();
        }
        byte[] bytes = (name + ": " + value + "\n").getBytes(StandardCharsets.UTF_8);
        digest.update(bytes, 0, bytes.length);
      }
    }
    return digest == null ? "" : digest.finish().opaque();
  }

  private final Cache<ResourceKey, Write> writes;

  RecentWrites(long maximumSize) {
    this.writes = Caffeine.newBuilder().maximumSize(Math.max(1, maximumSize)).executor(Runnable::run).build();
  }

  /** The preconditions of a request, as a write is recognized by them. */
  static String preconditions(RequestConditions c) {
    return c.ifMatch() + "|" + c.ifNoneMatch() + "|" + c.ifUnmodifiedSince();
  }

  void record(ResourceKey key, Write write) {
    writes.put(key, write);
  }

  void forget(ResourceKey key) {
    writes.invalidate(key);
  }

  @Nullable Write get(ResourceKey key) {
    return writes.getIfPresent(key);
  }
}
