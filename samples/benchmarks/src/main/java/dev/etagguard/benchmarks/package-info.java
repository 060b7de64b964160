/**
 * Benchmarks of ETag Guard: JMH micro-benchmarks of the engine and a load harness comparing the
 * guarded wiki with the bare server and Spring's {@code ShallowEtagHeaderFilter}.
 */
@NullMarked
package dev.etagguard.benchmarks;

import org.jspecify.annotations.NullMarked;
