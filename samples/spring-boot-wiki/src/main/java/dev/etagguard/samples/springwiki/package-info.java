/**
 * The wiki sample as a Spring Boot application: {@link dev.etagguard.samples.springwiki.WikiController}
 * knows nothing of ETags; the ETag Guard starter and {@code application.yml} add them.
 */
@NullMarked
package dev.etagguard.samples.springwiki;

import org.jspecify.annotations.NullMarked;
