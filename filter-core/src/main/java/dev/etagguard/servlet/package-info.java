/**
 * ETag Guard for Jakarta Servlet containers: {@link dev.etagguard.servlet.ETagGuardFilter}, the
 * request flow it shares with the Tomcat valve ({@link dev.etagguard.servlet.ServletGuard}) and the
 * response capture they use. Drop the jar into {@code WEB-INF/lib} and declare the filter in
 * {@code web.xml}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.servlet;

import org.jspecify.annotations.NullMarked;
