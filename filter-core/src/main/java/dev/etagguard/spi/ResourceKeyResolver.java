package dev.etagguard.spi;

import java.util.Set;

import dev.etagguard.support.Builtins;

/**
 * Maps a request to the key of the resource it targets.
 *
 * <p>Implementations must be thread-safe and must map every spelling of one resource to one key,
 * or two writers could hold two permits for the same resource.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface ResourceKeyResolver {

  /** The key of the request's target resource. */
  ResourceKey resolve(RequestView request);

  /**
   * The built-in resolver: the request path normalized (RFC 3986 6.2.2: dot segments removed,
   * duplicate slashes collapsed, percent-encoded unreserved characters decoded, other
   * percent-encodings upper-cased, path parameters such as {@code ;jsessionid=} removed),
   * followed by the values of the named query parameters, sorted, if any.
   *
   * @param queryParameters the query parameters that are part of a resource's identity
   */
  static ResourceKeyResolver path(Set<String> queryParameters) {
    return Builtins.pathResolver(queryParameters);
  }
}
