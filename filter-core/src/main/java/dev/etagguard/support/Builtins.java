package dev.etagguard.support;

import java.util.Set;

import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResourceKeyResolver;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

/**
 * Factories of the built-in SPI implementations, which stay package-private. Use the static
 * factories on the SPI interfaces instead of this class.
 *
 * @since 0.1
 */
public final class Builtins {

  private Builtins() {
  }

  /** See {@link ValidatorStore#caffeine(long)}. */
  public static ValidatorStore caffeineStore(long maximumSize) {
    return new CaffeineValidatorStore(maximumSize);
  }

  /** The path normalization of {@link ResourceKeyResolver#path(Set)}, also used to match path patterns. */
  public static String normalizePath(String rawPath) {
    return PathKeyResolver.normalize(rawPath);
  }

  /**
   * The canonical percent-encoding of a decoded path, which {@link #normalizePath} leaves as it
   * is: adapters turn the path their host maps (decoded, dot segments and path parameters
   * removed) into {@link dev.etagguard.spi.RequestView#path()} with it, so that every spelling
   * the host serves as one resource has one key. Unreserved characters, {@code /}, {@code :},
   * {@code @} and the sub-delimiters other than {@code ;} stay as they are; every other character
   * becomes the upper-case escapes of its UTF-8 bytes.
   */
  public static String encodePath(String decodedPath) {
    return PathKeyResolver.encodeDecoded(decodedPath);
  }

  /**
   * The key the built-in path resolver gives a request whose path is already normalized (by
   * {@link #normalizePath}), without normalizing it again; {@code null} when {@code resolver} is
   * not the built-in one.
   */
  public static dev.etagguard.spi.@org.jspecify.annotations.Nullable ResourceKey resolveNormalized(
      ResourceKeyResolver resolver, String normalizedPath, dev.etagguard.spi.RequestView request) {
    return resolver instanceof PathKeyResolver p ? p.resolveNormalized(normalizedPath, request) : null;
  }

  /** See {@link ResourceKeyResolver#path(Set)}. */
  public static ResourceKeyResolver pathResolver(Set<String> queryParameters) {
    return new PathKeyResolver(queryParameters);
  }

  /** See {@link EntityTagGenerator#sha256()}. */
  public static EntityTagGenerator sha256Generator() {
    return Sha256Generator.INSTANCE;
  }

  /** See {@link WriteSequencer#local(int)}. */
  public static WriteSequencer localSequencer(int maxWaitersPerKey) {
    return new LocalWriteSequencer(maxWaitersPerKey);
  }

  /** See {@link WriteSequencer#chain}. */
  public static java.util.concurrent.CompletableFuture<WriteSequencer.Permit> chainPermits(
      java.util.concurrent.CompletableFuture<WriteSequencer.Permit> first,
      java.util.function.Function<? super WriteSequencer.Permit,
          ? extends java.util.concurrent.CompletableFuture<WriteSequencer.Permit>> then) {
    return ChainedAcquisition.chain(first, then);
  }
}
