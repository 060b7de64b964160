/**
 * The built-in implementations of the SPIs: Caffeine validator store, path key resolver,
 * SHA-256 ETag generator and in-process write sequencer. Package-private; reach them through the
 * static factories of {@link dev.etagguard.spi}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.support;

import org.jspecify.annotations.NullMarked;
