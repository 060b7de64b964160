/**
 * The built-in implementations of the SPIs: Caffeine validator store, path key resolver,
 * SHA-256 ETag generator and in-process write sequencer. Package-private; reach them through the
 * static factories of {@link dev.etagguard.spi}. For store implementors,
 * {@link dev.etagguard.support.LeasedWriteSequencer} is the part every shared store's write
 * sequencer has in common (the in-process queue in front, retries, timeouts, cancellation,
 * renewal and release of leases with fencing tokens); the Redis and PostgreSQL modules extend it.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.support;

import org.jspecify.annotations.NullMarked;
