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
import java.sql.Statement;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
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
 * Write permits as transaction-scoped advisory locks, one connection per held permit, behind the
 * built-in in-process sequencer (one waiter per key and instance reaches the database). The
 * lease is {@code idle_in_transaction_session_timeout}; the fencing token comes from a sequence,
 * drawn after the lock is granted.
 */
final class PostgresWriteSequencer implements WriteSequencer, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(PostgresWriteSequencer.class.getName());
  private static final String LOCK_NOT_AVAILABLE = "55P03";
  private static final String QUERY_CANCELED = "57014";
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final DataSource dataSource;
  private final String table;
  private final String tokenSequence;
  private final long leaseMillis;
  private final boolean renewLease;
  private final WriteSequencer local;
  private final ExecutorService executor;
  private final ScheduledExecutorService renewals;

  PostgresWriteSequencer(DataSource dataSource, String table, String tokenSequence, Duration leaseTime,
      boolean renewLease, int maxWaitersPerKey) {
    this.dataSource = dataSource;
    this.table = table;
    this.tokenSequence = tokenSequence;
    this.leaseMillis = leaseTime.toMillis();
    this.renewLease = renewLease;
    this.local = WriteSequencer.local(maxWaitersPerKey);
    int n = INSTANCES.incrementAndGet();
    // Blocking JDBC calls (lock waits, releases) run here, never on a request thread of a
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
    // Chained, not thenCompose: cancelling the request must reach the lock wait (issue 19).
    return WriteSequencer.chain(local.acquire(key, maxWait), front -> {
      CompletableFuture<Permit> result = new CompletableFuture<>();
      LockWait wait = new LockWait();
      result.whenComplete((permit, failure) -> {
        if (failure != null && wait.abandon()) {
          // Stop the lock wait in the database; the driver's cancel request is blocking I/O, so
          // not on the thread that cancelled (maybe a request thread).
          try {
            executor.execute(wait::cancel);
          } catch (RejectedExecutionException e) {
            LOG.log(Level.DEBUG, "Sequencer closed: an abandoned lock wait ends by its lock_timeout");
          }
        }
      });
      Runnable lock = () -> {
        try {
          Permit permit = lock(key, front, maxWait.toNanos() - (System.nanoTime() - start), result, wait);
          if (!result.complete(permit)) {
            permit.release(); // abandoned meanwhile: unlock at once, and the front permit with it
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

  /**
   * The lock statement of one request while it waits in the database, cancelled (through the
   * driver's cancel request) when the request is abandoned. A cancel only goes out while the
   * statement is registered, so it cannot reach a later statement on the connection.
   */
  private static final class LockWait {
    private @Nullable Statement statement;
    private boolean cancelled;

    /** Registers the statement about to wait; {@code false} when the request is already abandoned. */
    synchronized boolean start(Statement st) {
      statement = st;
      return !cancelled;
    }

    synchronized void done() {
      statement = null;
    }

    /** Marks the request abandoned; {@code true} when a statement waits, to {@link #cancel}. */
    synchronized boolean abandon() {
      cancelled = true;
      return statement != null;
    }

    /** Cancels the statement if it still waits. */
    synchronized void cancel() {
      Statement st = statement;
      if (st != null) {
        try {
          st.cancel();
        } catch (SQLException e) {
          LOG.log(Level.DEBUG, "Could not cancel an abandoned lock wait; its grant is released", e);
        }
      }
    }
  }

  private Permit lock(ResourceKey key, Permit front, long remainingNanos, CompletableFuture<Permit> result,
      LockWait wait) throws SQLException {
    if (result.isDone()) {
      throw new CancellationException("The permit request of " + key + " was abandoned");
    }
    if (remainingNanos <= 0) {
      throw new PermitUnavailableException("Timed out waiting for " + key, false);
    }
    Connection c = dataSource.getConnection();
    boolean held = false;
    try {
      c.setAutoCommit(false);
      try (PreparedStatement st = c.prepareStatement(
          "SELECT set_config('lock_timeout', ?, true), set_config('idle_in_transaction_session_timeout', ?, true)")) {
        st.setString(1, Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos)) + "ms");
        st.setString(2, leaseMillis + "ms");
        st.execute();
      }
      long granted;
      long token;
      // The token is drawn once the lock is held (the materialized CTE runs first), so tokens
      // grow in grant order.
      try (PreparedStatement st = c.prepareStatement(
          "WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(?)) SELECT nextval(?::regclass) FROM l")) {
        st.setLong(1, lockId(key));
        st.setString(2, tokenSequence);
        if (!wait.start(st)) {
          throw new CancellationException("The permit request of " + key + " was abandoned");
        }
        try (ResultSet rs = st.executeQuery()) {
          granted = System.nanoTime();
          rs.next();
          token = rs.getLong(1);
        } finally {
          wait.done();
        }
      } catch (SQLException e) {
        if (QUERY_CANCELED.equals(e.getSQLState()) && result.isDone()) {
          throw new CancellationException("The permit request of " + key + " was abandoned");
        }
        if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
          throw new PermitUnavailableException("Timed out waiting for " + key, false);
        }
        throw e;
      }
      PgPermit permit = new PgPermit(key, c, token, front, granted);
      if (renewLease) {
        long period = Math.max(1, leaseMillis / 3);
        permit.renewal = renewals.scheduleWithFixedDelay(permit::renew, period, period, TimeUnit.MILLISECONDS);
      }
      held = true;
      return permit;
    } finally {
      if (!held) {
        end(c);
      }
    }
  }

  /** Ends the lock's transaction (releasing the lock) and returns the connection. */
  private static void end(Connection c) {
    try {
      try {
        c.rollback();
        c.setAutoCommit(true);
      } finally {
        c.close();
      }
    } catch (SQLException e) {
      LOG.log(Level.DEBUG, "Could not end a lock's transaction cleanly (the session is gone: so is the lock)", e);
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

  /** A held advisory lock: its connection, token and lease. */
  private final class PgPermit implements Permit {
    private final ResourceKey key;
    private final Connection connection;
    private final long token;
    private final Permit front;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile long leaseEnds;
    private volatile @Nullable ScheduledFuture<?> renewal;

    PgPermit(ResourceKey key, Connection connection, long token, Permit front, long granted) {
      this.key = key;
      this.connection = connection;
      this.token = token;
      this.front = front;
      this.leaseEnds = granted + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
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

    void renew() {
      synchronized (connection) {
        if (released.get()) {
          return;
        }
        long sent = System.nanoTime();
        try (Statement st = connection.createStatement()) {
          st.execute("SELECT 1");
          leaseEnds = sent + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
        } catch (SQLException e) {
          LOG.log(Level.WARNING, () -> "ETag Guard: the write permit of " + key + " lost its database session: " + e);
          ScheduledFuture<?> r = renewal;
          if (r != null) {
            r.cancel(false);
          }
        }
      }
    }

    @Override
    public void release() {
      if (!released.compareAndSet(false, true)) {
        return;
      }
      ScheduledFuture<?> r = renewal;
      if (r != null) {
        r.cancel(false);
      }
      Runnable unlock = () -> {
        try {
          synchronized (connection) {
            end(connection);
          }
        } finally {
          front.release();
        }
      };
      try {
        executor.execute(unlock);
      } catch (RejectedExecutionException e) {
        unlock.run();
      }
    }

    @Override
    public String toString() {
      return "PgPermit{" + key + ", token=" + token + "}";
    }
  }
}
