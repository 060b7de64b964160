/**
 * The small interfaces through which ETag Guard meets its host and its storage: request and
 * response views, resource keys, the validator store, the ETag generator, the write sequencer
 * and the listener. Each has a static factory for its built-in implementation.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.spi;

import org.jspecify.annotations.NullMarked;
