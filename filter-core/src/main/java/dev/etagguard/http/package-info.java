/**
 * HTTP values of conditional requests (RFC 9110 sections 8.8 and 13): entity tags, their lists,
 * HTTP-dates, byte ranges and the parsed conditional headers of a request. Records whose
 * {@code toString()} is the wire form; parsers that never throw on client input.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.http;

import org.jspecify.annotations.NullMarked;
