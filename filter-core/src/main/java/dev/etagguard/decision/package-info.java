/**
 * The RFC 9110 section 13 decisions, as pure functions of a request's conditions and a
 * resource's current validators: the evaluation order of 13.2.2 ({@link
 * dev.etagguard.decision.Preconditions#evaluate}), If-Range (13.1.5) and the policy that a guarded
 * write must carry a precondition (RFC 6585 section 3). No state, no I/O.
 *
 * @since 0.3
 */
@NullMarked
package dev.etagguard.decision;

import org.jspecify.annotations.NullMarked;
