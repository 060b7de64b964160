/**
 * The cluster demo ({@code java -jar etag-guard-cluster-demo.jar}): three guarded instances of a
 * small service ({@link dev.etagguard.samples.clusterdemo.DocumentServlet}) on one shared, fenced
 * storage ({@link dev.etagguard.samples.clusterdemo.Documents}), their guard state in a Redis or a
 * PostgreSQL the demo starts from the Maven artifacts it carries, or in each instance alone, raced
 * by read-modify-write clients through a round-robin load balancer
 * ({@link dev.etagguard.samples.clusterdemo.ClusterDemo}).
 */
@NullMarked
package dev.etagguard.samples.clusterdemo;

import org.jspecify.annotations.NullMarked;
