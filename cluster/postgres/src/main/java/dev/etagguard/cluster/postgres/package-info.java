/**
 * ETag Guard on PostgreSQL: a validator store (one table, compare-and-set by conditional UPDATE)
 * and a write sequencer (transaction-scoped advisory locks whose lease is the server's
 * {@code idle_in_transaction_session_timeout}, fencing tokens from a sequence), shared by every
 * instance of an application. Start from {@link dev.etagguard.cluster.postgres.PostgresCluster}.
 *
 * @since 0.1
 */
@NullMarked
package dev.etagguard.cluster.postgres;

import org.jspecify.annotations.NullMarked;
