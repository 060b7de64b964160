/**
 * The ETag Guard conformance kit: the HTTP rows of the shared conformance cases, a lost-update check
 * and a hostile-header check, run against any server over HTTP ({@link dev.etagguard.conformance.kit.ConformanceKit}
 * is the command line, {@link dev.etagguard.conformance.kit.ConformanceRunner} the API the project's own tests use).
 * Depends on nothing but the JDK.
 */
@NullMarked
package dev.etagguard.conformance.kit;

import org.jspecify.annotations.NullMarked;
