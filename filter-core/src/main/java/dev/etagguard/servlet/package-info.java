/**
 * ETag Guard for Jakarta Servlet containers: {@link dev.etagguard.servlet.ETagGuardFilter} and the
 * response capture it uses. Drop the jar into {@code WEB-INF/lib} and declare the filter in
 * {@code web.xml}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.servlet;

import org.jspecify.annotations.NullMarked;
