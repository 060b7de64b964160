package dev.etagguard.cluster.postgres;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.support.LeasedWriteSequencer;

import org.jspecify.annotations.Nullable;

/**
 * Write permits as leases in a table, {@code (resource_key, ticket, token, lease_until)}: the
 * PostgreSQL half (enqueue and poll, renew, delete) of a {@link LeasedWriteSequencer}, which
 * queues, retries, renews and releases. Every step is a short transaction on a connection borrowed
 * for it and returned at once, so a held permit keeps no connection: concurrency several times the
 * pool's size makes progress, and the validator store and the application always find a
 * connection. The blocking JDBC calls run on this sequencer's own threads, never on the timer's or
 * a request's.
 *
 * <p>A waiter enqueues a row with a ticket from the token sequence; the row with the smallest
 * ticket of its key holds the permit (FIFO per key across instances) and gets a fencing token,
 * drawn from the sequence when it is granted, so tokens grow in grant order. Each transaction on a
 * key first takes {@code pg_advisory_xact_lock} on the key's hash, so enqueueing and granting are
 * serialized per key; the lock ends with the transaction. Rows carry a lease on the server's clock:
 * waiters renew theirs (at most 5 s) each time they poll (every 1 to 20 ms), a holder its
 * {@code leaseTime} every third of it unless {@code renewLease} is off, and whoever next touches the
 * key deletes expired rows, so an instance that stops loses its place and its permit.
 *
 * <p>The sequencer and the {@link PostgresValidatorStore} of one {@link PostgresCluster} share the
 * database, so a permit carries its {@linkplain Permit#storeEntry() store entry}: the statement
 * that grants also reads the key's validators, and a commit that succeeds deletes the permit's
 * row in the same statement. On a pool in auto-commit (the default), a request's first attempt
 * sends the advisory lock and the enqueue-and-grant statement together, one round trip; an
 * uncontended write then costs three: that one, the marker's compare-and-set, the commit's
 * compare-and-set with the delete.
 */
final class PostgresWriteSequencer extends LeasedWriteSequencer<PostgresWriteSequencer.Row> {

  private static final System.Logger LOG = System.getLogger(PostgresWriteSequencer.class.getName());
  /** The longest a waiter's row outlives its last poll (waiters poll every 20 ms at most). */
  private static final long MAX_WAITER_LEASE_MILLIS = 5000;
  private static final long REMOVE_RETRY_MILLIS = 200;

  private final DataSource dataSource;
  private final PostgresValidatorStore store;
  private final String table;
  private final String tokenSequence;
  private final long waiterLeaseMillis;
  private final ExecutorService executor;
  private final String enqueueAndGrant;
  private final String lockAndEnqueueAndGrant;
  private final String poll;
  private final String renew;
  private final String remove;
  private final String expire;
  private final String commitAndRemove;

  PostgresWriteSequencer(DataSource dataSource, PostgresValidatorStore store, String table, String permitTable,
      String tokenSequence, Duration leaseTime, boolean renewLease, int maxWaitersPerKey) {
    super("etag-guard-postgres-", leaseTime.toMillis(), renewLease, maxWaitersPerKey, store);
    this.dataSource = dataSource;
    this.store = store;
    this.table = table;
    this.tokenSequence = tokenSequence;
    long leaseMillis = leaseTime.toMillis();
    this.waiterLeaseMillis = Math.min(leaseMillis, MAX_WAITER_LEASE_MILLIS);
    String lease = "clock_timestamp() + " + leaseMillis + " * interval '1 millisecond'";
    String waiterLease = "clock_timestamp() + " + waiterLeaseMillis + " * interval '1 millisecond'";
    String first = "(SELECT min(ticket) FROM " + permitTable + " WHERE resource_key = ?)";
    // A grant also reads the key's validators, in the same statement (see Permit.storeEntry).
    String validators = "(SELECT validators FROM " + table + " WHERE resource_key = ?)";
    this.expire = "DELETE FROM " + permitTable + " WHERE resource_key = ? AND lease_until < clock_timestamp()";
    // A request's first attempt in one statement: deletes the key's expired rows and enqueues the
    // request's row, granted at once (a token and the full lease) when no other row of the key is
    // left. One clock reading serves both, so a row the delete spares is one the check counts.
    this.enqueueAndGrant = "WITH now AS (SELECT clock_timestamp() AS t), gone AS (DELETE FROM " + permitTable
        + " WHERE resource_key = ? AND lease_until < (SELECT t FROM now)), free AS (SELECT NOT EXISTS (SELECT 1 FROM "
        + permitTable + " WHERE resource_key = ? AND lease_until >= (SELECT t FROM now)) AS f) INSERT INTO "
        + permitTable + " (resource_key, ticket, token, lease_until) SELECT ?, nextval('" + tokenSequence
        + "'), CASE WHEN f THEN nextval('" + tokenSequence + "') END, t + CASE WHEN f THEN " + leaseMillis + " ELSE "
        + waiterLeaseMillis + " END * interval '1 millisecond' FROM now, free RETURNING ticket, token, " + validators;
    this.lockAndEnqueueAndGrant = "SELECT pg_advisory_xact_lock(?); " + enqueueAndGrant;
    // Renews a waiter's row (a short lease: a waiter that stops polling soon loses its place) and,
    // when it is first in its key's queue, grants it with the full lease: the token is drawn only
    // then (a volatile function in a CASE branch runs only when the branch is taken).
    String granted = "token IS NOT NULL OR ticket = " + first;
    this.poll = "UPDATE " + permitTable + " SET lease_until = CASE WHEN " + granted + " THEN " + lease + " ELSE "
        + waiterLease + " END, token = CASE WHEN token IS NOT NULL THEN token WHEN ticket = " + first
        + " THEN nextval('" + tokenSequence + "') END WHERE resource_key = ? AND ticket = ? RETURNING token, " + validators;
    this.renew = "UPDATE " + permitTable + " SET lease_until = " + lease
        + " WHERE resource_key = ? AND ticket = ? AND token = ? AND lease_until >= clock_timestamp()";
    this.remove = "DELETE FROM " + permitTable + " WHERE resource_key = ? AND ticket = ?";
    // The store's compare-and-set of a row it holds and, when it succeeds, the permit's row gone:
    // one statement, one transaction.
    this.commitAndRemove = "WITH done AS (" + store.update + " RETURNING 1), gone AS (" + remove
        + " AND EXISTS (SELECT 1 FROM done)) SELECT count(*) FROM done";
    // Blocking JDBC calls run here, never on a request thread of a non-blocking host.
    this.executor = Executors.newCachedThreadPool(daemon(name() + "-"));
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * A request's row in the permits table: its ticket ({@code -1}: none yet), its lease's end, and
   * the validators its grant read.
   */
  static final class Row {
    volatile long ticket = -1;
    volatile long leaseEnds;
    volatile @Nullable Validators found;
  }

  @Override
  protected Row newRequest(ResourceKey key) {
    return new Row();
  }

  @Override
  protected CompletableFuture<Long> tryLock(ResourceKey key, Row row) {
    return blocking(() -> poll(key, row));
  }

  @Override
  protected CompletableFuture<Boolean> renew(ResourceKey key, Row row, long token) {
    return blocking(() -> {
      try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(renew)) {
        st.setString(1, key.value());
        st.setLong(2, row.ticket);
        st.setLong(3, token);
        int rows = st.executeUpdate();
        if (!c.getAutoCommit()) {
          c.commit();
        }
        return rows == 1;
      }
    });
  }

  @Override
  protected CompletableFuture<?> unlock(ResourceKey key, Row row, long leaseEnds) {
    // This instance's next writer of the key goes on after the first attempt; it queues behind
    // the row if that attempt failed.
    return remove(key, row.ticket, leaseEnds);
  }

  @Override
  protected void abandon(ResourceKey key, Row row) {
    if (row.ticket >= 0) {
      remove(key, row.ticket, row.leaseEnds);
    }
  }

  /** What the grant read. */
  @Override
  protected @Nullable Validators found(ResourceKey key, Row row) {
    return row.found;
  }

  /**
   * The engine's commit, a marker replaced by validators, in one statement with the delete of
   * the permit's row; other compare-and-sets (which the engine does not join with a release) run
   * as the store's, then the delete.
   */
  @Override
  protected boolean compareAndSetAndUnlock(ResourceKey key, Row row, long token, @Nullable Validators expected,
      @Nullable Validators next) {
    if (expected == null || next == null) {
      if (!store.compareAndSet(key, expected, next)) {
        return false;
      }
      removeQuietly(key, row.ticket);
      return true;
    }
    try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(commitAndRemove)) {
      st.setString(1, ValidatorStore.encode(next));
      st.setString(2, key.value());
      st.setString(3, ValidatorStore.encode(expected));
      st.setString(4, key.value());
      st.setLong(5, row.ticket);
      boolean done;
      try (ResultSet rs = st.executeQuery()) {
        done = rs.next() && rs.getLong(1) == 1;
      }
      if (!c.getAutoCommit()) {
        c.commit();
      }
      return done;
    } catch (SQLException e) {
      throw store.unreachable(e);
    }
  }

  /** Runs {@code work} on this sequencer's threads. */
  private <T> CompletableFuture<T> blocking(Callable<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    executor.execute(() -> {
      try {
        result.complete(work.call());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    return result;
  }

  /** A statement run in a short transaction of a borrowed connection. */
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in a transaction of its own on a connection borrowed for it, serialized
   * with every other such transaction on the key by a transaction-scoped advisory lock.
   */
  private <T> T inTransaction(ResourceKey key, Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return inTransaction(c, key, work);
    }
  }

  /** Runs {@code work} in a transaction of its own on {@code c}, after the key's advisory lock. */
  private <T> T inTransaction(Connection c, ResourceKey key, Work<T> work) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    boolean done = false;
    try {
      try (PreparedStatement st = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        st.setLong(1, lockId(key));
        st.execute();
      }
      T result = work.run(c);
      c.commit();
      done = true;
      return result;
    } finally {
      try {
        if (!done) {
          c.rollback();
        }
        c.setAutoCommit(autoCommit);
      } catch (SQLException e) {
        LOG.log(Level.DEBUG, "Could not end a permit transaction cleanly", e);
      }
    }
  }

  /**
   * Enqueues the request's row when it has none (or its row expired: a pause longer than its
   * lease), renews the row's lease and, when it is first in its key's queue, grants it.
   *
   * @return the fencing token when granted, else 0
   */
  private long poll(ResourceKey key, Row row) throws SQLException {
    long sent = System.nanoTime();
    long mine = row.ticket;
    long[] answer;
    if (mine < 0) {
      try (Connection c = dataSource.getConnection()) {
        answer = c.getAutoCommit() ? lockAndEnqueue(c, key, row) : inTransaction(c, key, tx -> {
          try (PreparedStatement st = tx.prepareStatement(enqueueAndGrant)) {
            enqueueParameters(st, key, 1);
            try (ResultSet rs = st.executeQuery()) {
              return enqueued(rs, key, row);
            }
          }
        });
      }
    } else {
      answer = inTransaction(key, c -> repoll(c, key, row, mine));
    }
    row.ticket = answer[0];
    row.leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(waiterLeaseMillis);
    return answer[1];
  }

  /**
   * A request's first attempt on a connection in auto-commit, in one round trip: the key's
   * advisory lock and the enqueue-and-grant statement as one prepared statement of two, which the
   * driver sends together, ended by one Sync; the server runs both in one implicit transaction,
   * so the lock is held until it commits, and the second statement takes its snapshot after the
   * lock was granted, so it sees every row committed before.
   */
  private long[] lockAndEnqueue(Connection c, ResourceKey key, Row row) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(lockAndEnqueueAndGrant)) {
      st.setLong(1, lockId(key));
      enqueueParameters(st, key, 2);
      st.execute(); // the lock's row
      if (!st.getMoreResults()) {
        throw new SQLException("No answer to the enqueue-and-grant statement");
      }
      try (ResultSet rs = st.getResultSet()) {
        return enqueued(rs, key, row);
      }
    }
  }

  /** The key in the enqueue-and-grant statement's four parameters, from {@code first} on. */
  private static void enqueueParameters(PreparedStatement st, ResourceKey key, int first) throws SQLException {
    for (int i = first; i < first + 4; i++) {
      st.setString(i, key.value());
    }
  }

  /** The enqueued row's ticket and token ({@code 0}: not granted); a grant keeps what it read. */
  private long[] enqueued(ResultSet rs, ResourceKey key, Row row) throws SQLException {
    rs.next();
    long t = rs.getLong(1);
    long token = rs.getLong(2);
    token = rs.wasNull() ? 0 : token;
    row.found = token > 0 ? store.decodeQuietly(key, rs.getString(3)) : null;
    return new long[] {t, token};
  }

  /** A later attempt: deletes the key's expired rows, renews the request's row and grants it when it is first. */
  private long[] repoll(Connection c, ResourceKey key, Row row, long mine) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(expire)) {
      st.setString(1, key.value());
      st.executeUpdate();
    }
    try (PreparedStatement st = c.prepareStatement(poll)) {
      st.setString(1, key.value());
      st.setString(2, key.value());
      st.setString(3, key.value());
      st.setLong(4, mine);
      st.setString(5, key.value());
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return new long[] {-1, 0}; // our row expired (a pause longer than the lease): queue again
        }
        long token = rs.getLong(1);
        token = rs.wasNull() ? 0 : token;
        row.found = token > 0 ? store.decodeQuietly(key, rs.getString(2)) : null;
        return new long[] {mine, token};
      }
    }
  }

  /**
   * Deletes a row (a waiter giving up, a holder releasing); the returned future completes after
   * the first attempt. A failed delete (the server restarting, say) is retried in the background
   * while the row's lease lasts, so the next writer of the key does not wait for the lease to run
   * out.
   */
  private CompletableFuture<Void> remove(ResourceKey key, long ticket, long leaseEnds) {
    CompletableFuture<Void> first = new CompletableFuture<>();
    Runnable task = () -> {
      boolean removed;
      try {
        removed = removeQuietly(key, ticket);
      } finally {
        first.complete(null);
      }
      while (!removed && leaseEnds - System.nanoTime() > 0) {
        try {
          Thread.sleep(REMOVE_RETRY_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        removed = removeQuietly(key, ticket);
      }
    };
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      try {
        removeQuietly(key, ticket);
      } finally {
        first.complete(null);
      }
    }
    return first;
  }

  /** Deletes a row once; on failure its lease ends it. */
  private boolean removeQuietly(ResourceKey key, long ticket) {
    try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(remove)) {
      st.setString(1, key.value());
      st.setLong(2, ticket);
      st.executeUpdate();
      if (!c.getAutoCommit()) {
        c.commit();
      }
      return true;
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not remove the permit row of " + key + " (its lease will end it)", e);
      return false;
    }
  }

  /** The advisory lock id of a key: 64 bits of SHA-256 over the table name and the key. */
  long lockId(ResourceKey key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(table.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      return ByteBuffer.wrap(sha.digest(key.value().getBytes(StandardCharsets.UTF_8))).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** Also ends this sequencer's threads once their work is done. */
  @Override
  public void close() {
    super.close();
    executor.shutdown();
  }

  @Override
  public String toString() {
    return "PostgresWriteSequencer{table=" + table + ", tokenSequence=" + tokenSequence + ", leaseTime="
        + leaseMillis() + "ms, renewLease=" + renewLease() + "}";
  }
}
