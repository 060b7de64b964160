/**
 * RFC 9457 problem details: the bodies of the guard's own answers (428, 412, 503, ...), and
 * their JSON form.
 *
 * @since 0.3
 */
@NullMarked
package dev.etagguard.problem;

import org.jspecify.annotations.NullMarked;
