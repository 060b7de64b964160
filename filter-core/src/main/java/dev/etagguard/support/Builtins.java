package dev.etagguard.support;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ResourceKeyResolver;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.spi.WriteSequencer.Permit;

import org.jspecify.annotations.Nullable;

/**
 * The built-in implementations of the SPIs (the classes themselves stay package-private), the
 * path normalization they share with the hosts, and the two-step permit request for sequencers
 * built on another one. The engine uses these unless its builder is given others.
 *
 * @since 0.1
 */
public final class Builtins {

  private Builtins() {
  }

  /**
   * The built-in store: an in-process Caffeine cache bounded to {@code maximumSize} entries
   * (Window TinyLFU eviction).
   */
  public static ValidatorStore caffeineStore(long maximumSize) {
    return new CaffeineValidatorStore(maximumSize);
  }

  /**
   * The built-in in-process sequencer: per-key FIFO queues in a concurrent map whose entry is
   * removed when its last holder leaves, so it holds nothing for idle keys. Shared permits are
   * shared.
   *
   * @param maxWaitersPerKey how many acquisitions (exclusive and shared) may wait behind the
   *     holders of one key
   */
  public static WriteSequencer localSequencer(int maxWaitersPerKey) {
    return new LocalWriteSequencer(maxWaitersPerKey);
  }

  /**
   * The built-in resolver: the request path normalized (RFC 3986 6.2.2: dot segments removed,
   * duplicate slashes collapsed, percent-encoded unreserved characters decoded, other
   * percent-encodings upper-cased, path parameters such as {@code ;jsessionid=} removed),
   * followed by the values of the named query parameters, sorted, if any.
   *
   * @param queryParameters the query parameters that are part of a resource's identity
   */
  public static ResourceKeyResolver pathResolver(Set<String> queryParameters) {
    return new PathKeyResolver(queryParameters);
  }

  /**
   * The built-in generator: SHA-256 of the body, truncated to 192 bits and encoded base64url
   * (32 characters), as a strong tag. SHA-256 runs on the CPU's SHA extensions where present.
   */
  public static EntityTagGenerator sha256Generator() {
    return Sha256Generator.INSTANCE;
  }

  /**
   * A permit request in two steps that honours the cancellation contract of
   * {@link WriteSequencer#acquire}, for sequencers built on another one: {@code first} (typically
   * the in-process sequencer's permit of the key), then, once it is granted, the request
   * {@code then} starts with its permit (typically a distributed lock; the permit it completes
   * with must release the first one, and so must {@code then} when it fails). Cancelling the
   * returned future cancels the step in progress, and a permit either step is granted after that
   * is released at once; {@code then} should stop its work when its future is cancelled and
   * release what it is granted later (its {@code complete(permit)} returns {@code false}).
   * Failures of either step complete the returned future exceptionally.
   *
   * @param first the first step's request
   * @param then starts the second step with the first step's permit
   * @return the request of the second step's permit
   */
  public static CompletableFuture<Permit> chain(CompletableFuture<Permit> first,
      Function<? super Permit, ? extends CompletableFuture<Permit>> then) {
    return ChainedAcquisition.chain(first, then);
  }

  /** The path normalization of {@link #pathResolver(Set)}, also used to match path patterns. */
  public static String normalizePath(String rawPath) {
    return PathKeyResolver.normalize(rawPath);
  }

  /**
   * The canonical percent-encoding of a decoded path, which {@link #normalizePath} leaves as it
   * is: hosts turn the path their server maps (decoded, dot segments and path parameters
   * removed) into {@link RequestView#path()} with it, so that every spelling the server serves as
   * one resource has one key. Unreserved characters, {@code /}, {@code :}, {@code @} and the
   * sub-delimiters other than {@code ;} stay as they are; every other character becomes the
   * upper-case escapes of its UTF-8 bytes.
   */
  public static String encodePath(String decodedPath) {
    return PathKeyResolver.encodeDecoded(decodedPath);
  }

  /**
   * The key the built-in resolver gives a request whose path is already normalized, without
   * normalizing it again; {@code null} when {@code resolver} is not the built-in one.
   */
  public static @Nullable ResourceKey resolveNormalized(ResourceKeyResolver resolver, String normalizedPath,
      RequestView request) {
    return resolver instanceof PathKeyResolver p ? p.resolveNormalized(normalizedPath, request) : null;
  }
}
