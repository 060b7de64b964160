package dev.etagguard;

import java.util.Map;
import java.util.Objects;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
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
   * @param content the digest of the request content, or {@code null} for none
   * @param result the validators the write left (absent after a DELETE)
   * @param status the write's status
   * @param headers the validator fields of its answer
   */
  record Write(String method, String preconditions, @Nullable EntityTag content, Validators result, int status,
      Map<String, String> headers) {

    /** Whether {@code conditions} of a {@code method} request, against {@code current}, repeat this write. */
    boolean repeatedBy(String method, RequestConditions conditions, Validators current) {
      return this.method.equals(method) && preconditions.equals(RecentWrites.preconditions(conditions))
          && result.exists() == current.exists() && Objects.equals(result.etag(), current.etag());
    }
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
