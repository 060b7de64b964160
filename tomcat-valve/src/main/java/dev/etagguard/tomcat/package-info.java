/**
 * ETag Guard for Tomcat: {@link dev.etagguard.tomcat.ETagGuardValve}, configured in
 * {@code server.xml} (Engine or Host, every webapp at once) or {@code context.xml} (one webapp).
 * Put this jar and its runtime dependencies into Tomcat's {@code lib/}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.tomcat;

import org.jspecify.annotations.NullMarked;
