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
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.WriteSequencer;

import org.jspecify.annotations.Nullable;

/**
 * Write permits as leases in a table, {@code (resource_key, ticket, token, lease_until)}, behind
 * the built-in in-process sequencer (one waiter per key and instance reaches the database). Every
 * step is a short transaction on a connection borrowed for it and returned at once, so a held
 * permit keeps no connection: concurrency several times the pool's size makes progress, and the
 * validator store and the application always find a connection.
 *
 * <p>A waiter enqueues a row with a ticket from the token sequence; the row with the smallest
 * ticket of its key holds the permit (FIFO per key across instances) and gets a fencing token,
 * drawn from the sequence when it is granted, so tokens grow in grant order. Each transaction on a
 * key first takes {@code pg_advisory_xact_lock} on the key's hash, so enqueueing and granting are
 * serialized per key; the lock ends with the transaction. Rows carry a lease on the server's clock:
 * waiters renew theirs (at most 5 s) each time they poll (every 1 to 20 ms), a holder its
 * {@code leaseTime} every third of it unless {@code renewLease} is off, and whoever next touches the
 * key deletes expired rows, so an instance that stops loses its place and its permit.
 */
final class PostgresWriteSequencer implements WriteSequencer, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(PostgresWriteSequencer.class.getName());
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  /** The longest a waiter's row outlives its last poll (waiters poll every 20 ms at most). */
  private static final long MAX_WAITER_LEASE_MILLIS = 5000;
  private static final long REMOVE_RETRY_MILLIS = 200;

  private final DataSource dataSource;
  private final String table;
  private final String tokenSequence;
  private final long leaseMillis;
  private final long waiterLeaseMillis;
  private final boolean renewLease;
  private final WriteSequencer local;
  private final ExecutorService executor;
  private final ScheduledExecutorService renewals;
  private final String enqueue;
  private final String poll;
  private final String renew;
  private final String remove;
  private final String expire;

  PostgresWriteSequencer(DataSource dataSource, String table, String permitTable, String tokenSequence,
      Duration leaseTime, boolean renewLease, int maxWaitersPerKey) {
    this.dataSource = dataSource;
    this.table = table;
    this.tokenSequence = tokenSequence;
    this.leaseMillis = leaseTime.toMillis();
    this.waiterLeaseMillis = Math.min(leaseMillis, MAX_WAITER_LEASE_MILLIS);
    this.renewLease = renewLease;
    this.local = WriteSequencer.local(maxWaitersPerKey);
    String lease = "clock_timestamp() + " + leaseMillis + " * interval '1 millisecond'";
    String waiterLease = "clock_timestamp() + " + waiterLeaseMillis + " * interval '1 millisecond'";
    String first = "(SELECT min(ticket) FROM " + permitTable + " WHERE resource_key = ?)";
    this.expire = "DELETE FROM " + permitTable + " WHERE resource_key = ? AND lease_until < clock_timestamp()";
    this.enqueue = "INSERT INTO " + permitTable + " (resource_key, ticket, lease_until) VALUES (?, nextval('"
        + tokenSequence + "'), " + waiterLease + ") RETURNING ticket";
    // Renews a waiter's row (a short lease: a waiter that stops polling soon loses its place) and,
    // when it is first in its key's queue, grants it with the full lease: the token is drawn only
    // then (a volatile function in a CASE branch runs only when the branch is taken).
    String granted = "token IS NOT NULL OR ticket = " + first;
    this.poll = "UPDATE " + permitTable + " SET lease_until = CASE WHEN " + granted + " THEN " + lease + " ELSE "
        + waiterLease + " END, token = CASE WHEN token IS NOT NULL THEN token WHEN ticket = " + first
        + " THEN nextval('" + tokenSequence + "') END WHERE resource_key = ? AND ticket = ? RETURNING token";
    this.renew = "UPDATE " + permitTable + " SET lease_until = " + lease
        + " WHERE resource_key = ? AND ticket = ? AND token = ? AND lease_until >= clock_timestamp()";
    this.remove = "DELETE FROM " + permitTable + " WHERE resource_key = ? AND ticket = ?";
    int n = INSTANCES.incrementAndGet();
    // Blocking JDBC calls and the waits between polls run here, never on a request thread of a
    // non-blocking host.
    this.executor = Executors.newCachedThreadPool(daemon("etag-guard-postgres-" + n + "-"));
    this.renewals = Executors.newSingleThreadScheduledExecutor(daemon("etag-guard-postgres-" + n + "-lease-"));
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
    long start = System.nanoTime();
    // Chained, not thenCompose: cancelling the request must reach the wait for the row's turn.
    return WriteSequencer.chain(local.acquire(key, maxWait), front -> {
      CompletableFuture<Permit> result = new CompletableFuture<>();
      Runnable lock = () -> {
        try {
          Permit permit = lock(key, front, start + maxWait.toNanos(), result);
          if (!result.complete(permit)) {
            permit.release(); // abandoned meanwhile: its row goes at once, and the front permit with it
          }
        } catch (Throwable t) {
          front.release();
          result.completeExceptionally(t);
        }
      };
      try {
        executor.execute(lock);
      } catch (RejectedExecutionException e) {
        front.release();
        result.completeExceptionally(new PermitUnavailableException("The sequencer is closed", false));
      }
      return result;
    });
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
  }

  private Permit lock(ResourceKey key, Permit front, long deadline, CompletableFuture<Permit> request)
      throws SQLException, InterruptedException {
    if (deadline - System.nanoTime() <= 0) {
      throw new PermitUnavailableException("Timed out waiting for " + key, false);
    }
    long ticket = -1;
    long waiterLeaseEnds = 0;
    boolean held = false;
    try {
      long pause = MIN_POLL_NANOS;
      while (true) {
        long sent = System.nanoTime();
        long mine = ticket;
        long[] answer = inTransaction(key, c -> {
          try (PreparedStatement st = c.prepareStatement(expire)) {
            st.setString(1, key.value());
            st.executeUpdate();
          }
          long t = mine;
          if (t < 0) {
            try (PreparedStatement st = c.prepareStatement(enqueue)) {
              st.setString(1, key.value());
              try (ResultSet rs = st.executeQuery()) {
                rs.next();
                t = rs.getLong(1);
              }
            }
          }
          try (PreparedStatement st = c.prepareStatement(poll)) {
            st.setString(1, key.value());
            st.setString(2, key.value());
            st.setString(3, key.value());
            st.setLong(4, t);
            try (ResultSet rs = st.executeQuery()) {
              if (!rs.next()) {
                return new long[] {-1, 0}; // our row expired (a pause longer than the lease): queue again
              }
              long token = rs.getLong(1);
              return new long[] {t, rs.wasNull() ? 0 : token};
            }
          }
        });
        ticket = answer[0];
        waiterLeaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(waiterLeaseMillis);
        if (answer[1] != 0) {
          PgPermit permit = new PgPermit(key, ticket, answer[1], front, sent);
          if (renewLease) {
            long period = Math.max(1, leaseMillis / 3);
            permit.renewal = renewals.scheduleWithFixedDelay(() -> {
              try {
                executor.execute(permit::renew);
              } catch (RejectedExecutionException e) {
                // closing
              }
            }, period, period, TimeUnit.MILLISECONDS);
          }
          held = true;
          return permit;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new PermitUnavailableException("Timed out waiting for " + key, false);
        }
        if (request.isDone()) {
          // Abandoned (cancelled): the row leaves the queue (below), nobody waits for its turn.
          throw new java.util.concurrent.CancellationException("The permit request of " + key + " was abandoned");
        }
        TimeUnit.NANOSECONDS.sleep(Math.min(pause, left));
        pause = Math.min(MAX_POLL_NANOS, pause * 2);
      }
    } finally {
      if (!held && ticket >= 0) {
        remove(key, ticket, waiterLeaseEnds, null);
      }
    }
  }

  /**
   * Deletes a row (a waiter giving up, a holder releasing), then runs {@code then}; a failed delete
   * (the server restarting, say) is retried in the background while the row's lease lasts, so the
   * next writer of the key does not wait for the lease to run out.
   */
  private void remove(ResourceKey key, long ticket, long leaseEnds, @Nullable Runnable then) {
    Runnable first = () -> {
      boolean removed;
      try {
        removed = removeQuietly(key, ticket);
      } finally {
        if (then != null) {
          then.run();
        }
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
      executor.execute(first);
    } catch (RejectedExecutionException e) {
      try {
        removeQuietly(key, ticket);
      } finally {
        if (then != null) {
          then.run();
        }
      }
    }
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

  @Override
  public int heldPermits() {
    return local.heldPermits();
  }

  @Override
  public int activeKeys() {
    return local.activeKeys();
  }

  @Override
  public void close() {
    renewals.shutdownNow();
    executor.shutdown();
    local.close();
  }

  @Override
  public String toString() {
    return "PostgresWriteSequencer{table=" + table + ", tokenSequence=" + tokenSequence + ", leaseTime="
        + leaseMillis + "ms, renewLease=" + renewLease + "}";
  }

  /** A held lease: its row, token and the local estimate of its end. */
  private final class PgPermit implements Permit {
    private final ResourceKey key;
    private final long ticket;
    private final long token;
    private final Permit front;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile long leaseEnds;
    private volatile @Nullable ScheduledFuture<?> renewal;

    PgPermit(ResourceKey key, long ticket, long token, Permit front, long sent) {
      this.key = key;
      this.ticket = ticket;
      this.token = token;
      this.front = front;
      // Counted from before the statement that set the lease was sent: never later than the server's.
      this.leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    }

    @Override
    public ResourceKey key() {
      return key;
    }

    @Override
    public OptionalLong fencingToken() {
      return OptionalLong.of(token);
    }

    @Override
    public boolean valid() {
      return !released.get() && leaseEnds - System.nanoTime() > 0;
    }

    synchronized void renew() {
      if (released.get() || leaseEnds - System.nanoTime() <= 0) {
        return;
      }
      long sent = System.nanoTime();
      try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(PostgresWriteSequencer.this.renew)) {
        st.setString(1, key.value());
        st.setLong(2, ticket);
        st.setLong(3, token);
        int rows = st.executeUpdate();
        if (!c.getAutoCommit()) {
          c.commit();
        }
        if (rows == 1) {
          leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
        } else {
          LOG.log(Level.WARNING, () -> "ETag Guard: the write permit of " + key + " expired before it was renewed");
          leaseEnds = sent;
          cancelRenewal();
        }
      } catch (SQLException e) {
        // Tried again at the next period; the lease runs out meanwhile unless that succeeds.
        LOG.log(Level.WARNING, () -> "ETag Guard: could not renew the write permit of " + key + ": " + e);
      }
    }

    private void cancelRenewal() {
      ScheduledFuture<?> r = renewal;
      if (r != null) {
        r.cancel(false);
      }
    }

    @Override
    public void release() {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      cancelRenewal();
      // This instance's next writer of the key goes on after the first attempt; it queues behind
      // the row if that attempt failed.
      remove(key, ticket, leaseEnds, front::release);
    }

    @Override
    public String toString() {
      return "PgPermit{" + key + ", token=" + token + "}";
    }
  }
}
