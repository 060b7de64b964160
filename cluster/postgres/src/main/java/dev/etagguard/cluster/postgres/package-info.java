/**
 * ETag Guard on PostgreSQL: a validator store (one table, compare-and-set by conditional UPDATE)
 * and a write sequencer (leases in a second table, FIFO per key, taken and renewed in short
 * transactions so a held permit keeps no connection; fencing tokens from a sequence), shared by every
 * instance of an application. Start from {@link dev.etagguard.cluster.postgres.PostgresCluster}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.cluster.postgres;

import org.jspecify.annotations.NullMarked;
