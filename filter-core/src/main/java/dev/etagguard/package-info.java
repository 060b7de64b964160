/**
 * ETag Guard's engine: the RFC 9110 section 13 precondition decisions ({@link dev.etagguard.decision.Preconditions}),
 * the settings every adapter shares ({@link dev.etagguard.settings.GuardSettings}) and the one request flow
 * ({@link dev.etagguard.GuardEngine}, {@link dev.etagguard.Exchange}) that every server hosts. Free of servlet, Jetty, Tomcat
 * and Spring types.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard;

import org.jspecify.annotations.NullMarked;
