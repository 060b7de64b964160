/**
 * ETag Guard as a reverse proxy in front of any HTTP service: {@link dev.etagguard.proxy.ETagGuardProxy}
 * (Jetty's reverse proxy behind the guard's Jetty handler) and its command line,
 * {@link dev.etagguard.proxy.ProxyMain}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.proxy;

import org.jspecify.annotations.NullMarked;
