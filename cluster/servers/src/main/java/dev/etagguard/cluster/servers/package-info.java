/**
 * A real {@code redis-server} and PostgreSQL from Maven artifacts, as processes on free loopback
 * ports, so that nothing needs to be installed on the machine: {@link
 * dev.etagguard.cluster.servers.Binaries} (where they are installed), {@link
 * dev.etagguard.cluster.servers.RedisServer}, {@link dev.etagguard.cluster.servers.PostgresServer}.
 * Internal to the build (the cluster modules' tests) and the cluster demo; not published.
 */
@NullMarked
package dev.etagguard.cluster.servers;

import org.jspecify.annotations.NullMarked;
