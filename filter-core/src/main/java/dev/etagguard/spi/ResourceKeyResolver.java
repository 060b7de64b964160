package dev.etagguard.spi;

import java.util.Set;

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
}
