/**
 * ETag Guard for Spring Boot 4 servlet web applications: {@link dev.etagguard.spring.ETagGuardAutoConfiguration}
 * registers the {@code ETagGuardFilter}, configured by {@link dev.etagguard.spring.ETagGuardProperties}
 * ({@code etag-guard.*}), with every SPI replaceable by a bean and Micrometer metrics when Micrometer is
 * present.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.spring;

import org.jspecify.annotations.NullMarked;
