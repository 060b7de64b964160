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
 * The last successful conditional write of each resource (option {@code retryRecognition}): a
 * fingerprint of the request (method, target, preconditions, client fields, content metadata),
 * the content the guard saw, and what the write left (the resulting validators, the status and
 * the validator fields of its answer). An identical request that arrives while the resource
 * still has exactly those validators is a retry of a write that already succeeded (its answer was
 * lost), and is answered with the original success instead of 412 (RFC 9110 13.1.1 and 13.1.4
 * allow it). Bounded like the validator store; an entry that no longer describes the resource's
 * state is simply never used.
 */
final class RecentWrites {

  /**
   * The content of a write as the guard saw it: its generated tag ({@code null} when empty) and
   * its length.
   */
  record Content(@Nullable EntityTag digest, long length) {
    /** No content at all. */
    static final Content NONE = new Content(null, 0);
  }

  /**
   * One write.
   *
   * @param request the fingerprint of the request without its content (see {@link #fingerprint})
   * @param content the content the guard saw, whole
   * @param result the validators the write left (absent after a DELETE)
   * @param status the write's status
   * @param headers the validator fields of its answer
   */
  record Write(String request, Content content, Validators result, int status, Map<String, String> headers) {

    /** Whether a request with this fingerprint and content, against {@code current}, repeats this write. */
    boolean repeatedBy(String request, Content content, Validators current) {
      return this.request.equals(request) && this.content.equals(content)
          && result.exists() == current.exists() && Objects.equals(result.etag(), current.etag());
    }
  }

  /** The request fields that describe the content; a retry repeats them. */
  static final List<String> CONTENT_FIELDS = List.of("Content-Type", "Content-Encoding", "Content-Language",
      "Content-Location", "Content-Range", "Content-Disposition", "Content-MD5", "Content-Digest", "Repr-Digest",
      "Digest");

  /**
   * A digest of everything that makes a write request what it is, but its content: the method,
   * the target (path and the whole query), the preconditions, the fields that tell its client
   * apart (option {@code retryClientFields}) and the content metadata ({@link #CONTENT_FIELDS}).
   * Each part is written with its length, so no two different requests share the input.
   */
  static String fingerprint(RequestView request, RequestConditions conditions, List<String> clientFields,
      EntityTagGenerator generator) {
    EntityTagGenerator.Digest digest = generator.start();
    add(digest, request.method());
    add(digest, request.path());
    String query = request.query();
    add(digest, query == null ? "\u0000" : "?" + query);
    add(digest, preconditions(conditions));
    for (List<String> names : List.of(clientFields, CONTENT_FIELDS)) {
      for (String name : names) {
        List<String> values = request.headers(name);
        add(digest, name.toLowerCase(java.util.Locale.ROOT) + ":" + values.size());
        for (String value : values) {
          add(digest, value);
        }
      }
      add(digest, "\u0000");
    }
    return digest.finish().opaque();
  }

  private static void add(EntityTagGenerator.Digest digest, String part) {
    byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
    byte[] length = (bytes.length + ":").getBytes(StandardCharsets.US_ASCII);
    digest.update(length, 0, length.length);
    digest.update(bytes, 0, bytes.length);
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
