package dev.etagguard.cluster.postgres;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;

/**
 * ETag Guard's shared state on PostgreSQL, for several instances of an application behind a load
 * balancer: a {@link ValidatorStore} and a {@link WriteSequencer} on one {@link DataSource}
 * (any pool; plain JDBC, no other dependency).
 *
 * <ul>
 *   <li><b>Validators</b> live in one table, {@code (resource_key text primary key, validators
 *       text)}; a write is committed by a conditional {@code UPDATE ... WHERE validators = ?}, so
 *       the table is the arbiter between two writers.</li>
 *   <li><b>Write permits</b> are leases in a second table, {@code <table>_permits}
 *       {@code (resource_key, ticket, token, lease_until)}: a writer enqueues a row with a ticket,
 *       the row with the smallest ticket of its key holds the permit (FIFO per key across
 *       instances), and waiters poll (every 1 to 20 ms). Each step is a short transaction that
 *       first takes {@code pg_advisory_xact_lock} on a 64-bit hash of table and key, so steps on
 *       one key are serialized; no connection is kept between steps, so a held permit occupies
 *       none. A row's lease ({@code leaseTime}, on the server's clock) is renewed by every poll of
 *       a waiter and, while a permit is held, every third of it unless {@code renewLease} is off;
 *       an instance that stops (crash, pause, partition) for longer loses its place or its permit
 *       to the next writer, who deletes expired rows. Each grant takes a fencing token from a
 *       sequence, which grows across restarts.</li>
 *   <li>Within one instance, requests for one key queue in the built-in in-process sequencer
 *       first (FIFO, {@code maxWaitersPerKey}), so each instance holds at most one database
 *       connection waiting per key.</li>
 * </ul>
 *
 * <p>Every store operation and every step of a permit borrows a pooled connection briefly; a held
 * permit keeps none, so concurrent writes several times the pool's size make progress (in Spring
 * Boot, the application's pool stays the application's). Give the DataSource a connect timeout,
 * so an unreachable server fails fast (503).
 *
 * <pre>{@code
 * PostgresCluster cluster = PostgresCluster.builder(dataSource).build();   // creates the tables
 * GuardEngine engine = cluster.engine(GuardSettings.builder().guardedPaths("/articles/*").build());
 * servletContext.addFilter("etagGuard", new ETagGuardFilter(engine));
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops the sequencer's threads; it does not close the DataSource.
 *
 * @since 0.1
 */
public final class PostgresCluster implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(PostgresCluster.class.getName());

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

  private final PostgresValidatorStore store;
  private final PostgresWriteSequencer sequencer;

  private PostgresCluster(Builder b, DataSource dataSource) {
    this.store = new PostgresValidatorStore(dataSource, b.table);
    this.sequencer = new PostgresWriteSequencer(dataSource, store, b.table, permitTable(b.table), b.tokenSequence,
        b.leaseTime, b.renewLease, b.maxWaitersPerKey);
  }

  /** The permits table of a validators table: its name with {@code _permits} appended. */
  static String permitTable(String table) {
    return table + "_permits";
  }

  /** A builder on the given DataSource. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The shared validator store. */
  public ValidatorStore store() {
    return store;
  }

  /** The shared write sequencer. */
  public WriteSequencer sequencer() {
    return sequencer;
  }

  /** An engine with these settings on this cluster's store and sequencer. */
  public GuardEngine engine(GuardSettings settings) {
    return GuardEngine.builder(settings).store(store).sequencer(sequencer).build();
  }

  /** Stops the sequencer's threads; permits still held are released. */
  @Override
  public void close() {
    sequencer.close();
  }

  @Override
  public String toString() {
    return "PostgresCluster{" + store + ", " + sequencer + "}";
  }

  /**
   * Builds a {@link PostgresCluster}. Method names match the options ({@code table} is
   * {@code postgresTable}, {@code leaseTime} is {@code leaseTime}) and the Spring properties
   * {@code etag-guard.cluster.postgres.<kebab-case>}; {@link #options(GuardSettings)} takes them all
   * from settings. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private final DataSource dataSource;
    private String table = "etag_guard_validators";
    private String tokenSequence = "etag_guard_fencing_token";
    private Duration leaseTime = Duration.ofSeconds(30);
    private boolean renewLease = true;
    private int maxWaitersPerKey = 256;
    private boolean createSchema = true;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The validators table, optionally schema-qualified; default {@code etag_guard_validators}. */
    public Builder table(String table) {
      this.table = identifier("table", table);
      String name = table.substring(table.indexOf('.') + 1);
      if (permitTable(name).length() > 63) {
        throw new IllegalArgumentException("table must leave room for the suffix _permits (at most 55 characters"
            + " after the schema): " + table);
      }
      return this;
    }

    /** The sequence fencing tokens come from; default {@code etag_guard_fencing_token}. */
    public Builder tokenSequence(String tokenSequence) {
      this.tokenSequence = identifier("tokenSequence", tokenSequence);
      return this;
    }

    /**
     * How long a write permit outlives a silent holder; default 30 s. With {@code renewLease}
     * (the default) a live holder keeps it; without, it is the longest a write may take.
     */
    public Builder leaseTime(Duration leaseTime) {
      if (leaseTime.toMillis() < 100 || leaseTime.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("leaseTime must be between 100 ms and 24 days: " + leaseTime);
      }
      this.leaseTime = leaseTime;
      return this;
    }

    /** Whether a held permit renews its lease every third of {@code leaseTime}; default {@code true}. */
    public Builder renewLease(boolean renewLease) {
      this.renewLease = renewLease;
      return this;
    }

    /** How many requests of this instance may wait for one key; default 256. */
    public Builder maxWaitersPerKey(int maxWaitersPerKey) {
      if (maxWaitersPerKey < 0) {
        throw new IllegalArgumentException("maxWaitersPerKey must be >= 0: " + maxWaitersPerKey);
      }
      this.maxWaitersPerKey = maxWaitersPerKey;
      return this;
    }

    /**
     * Whether {@link #build()} creates the tables and the sequence when missing
     * ({@code CREATE ... IF NOT EXISTS}); default {@code true}. Off where the application's
     * migrations create them (the DDL is in the README).
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * Takes the options of {@code settings} that PostgreSQL reads ({@code postgresTable},
     * {@code postgresTokenSequence}, {@code postgresCreateSchema}, {@code leaseTime},
     * {@code renewLease}, {@code maxWaitersPerKey}), checked as the methods here check them, with
     * a message naming the option.
     *
     * @throws IllegalArgumentException naming the option, for a value this builder refuses
     * @since 0.1
     */
    public Builder options(GuardSettings settings) {
      GuardSettings.option("postgresTable").passTo(settings.postgresTable(), this::table);
      GuardSettings.option("postgresTokenSequence").passTo(settings.postgresTokenSequence(), this::tokenSequence);
      GuardSettings.option("leaseTime").passTo(settings.leaseTime(), this::leaseTime);
      renewLease(settings.renewLease());
      createSchema(settings.postgresCreateSchema());
      GuardSettings.option("maxWaitersPerKey").passTo(settings.maxWaitersPerKey(), this::maxWaitersPerKey);
      return this;
    }

    /**
     * The cluster; creates the schema first when {@code createSchema} is on. When the server cannot
     * be reached (no connection), the cluster is made anyway and creates the schema with its first
     * connection: the application starts, and its writes are answered 503 until the server is back.
     *
     * @throws IllegalStateException when the server refuses to create the schema
     */
    public PostgresCluster build() {
      if (!createSchema) {
        return new PostgresCluster(this, dataSource);
      }
      Schema schema = new Schema(dataSource, table, tokenSequence);
      Connection c;
      try {
        c = dataSource.getConnection();
      } catch (SQLException e) {
        LOG.log(Level.WARNING, () -> "ETag Guard: PostgreSQL cannot be reached (" + e.getMessage() + "); the tables "
            + table + ", " + permitTable(table) + " and the sequence " + tokenSequence + " will be created with the "
            + "first connection, and writes are answered 503 until then");
        return new PostgresCluster(this, schema);
      }
      try (c) {
        schema.create(c);
      } catch (SQLException e) {
        throw new IllegalStateException(schema.failure(e), e);
      }
      return new PostgresCluster(this, dataSource);
    }

    private static String identifier(String option, String value) {
      if (value == null || !IDENTIFIER.matcher(value).matches()) {
        throw new IllegalArgumentException(option + " must be an SQL identifier, optionally schema-qualified: " + value);
      }
      return value;
    }
  }

  /**
   * The tables and the sequence, created with a connection; as a {@link DataSource}, the
   * application's, creating them on the first connection that can be made (a cluster built while
   * the server could not be reached). Thread-safe.
   */
  static final class Schema implements DataSource {
    private final DataSource dataSource;
    private final String table;
    private final String tokenSequence;
    private volatile boolean created;

    Schema(DataSource dataSource, String table, String tokenSequence) {
      this.dataSource = dataSource;
      this.table = table;
      this.tokenSequence = tokenSequence;
    }

    /**
     * Creates what is missing, in one transaction that first takes a transaction-scoped advisory
     * lock on the table's name: instances starting at once create it one after the other, since
     * {@code CREATE ... IF NOT EXISTS} alone fails beside a concurrent twin ("duplicate key value
     * violates unique constraint pg_type_typname_nsp_index").
     */
    void create(Connection c) throws SQLException {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))");
          Statement st = c.createStatement()) {
        lock.setString(1, "etag-guard schema " + table);
        lock.execute();
        st.execute("CREATE TABLE IF NOT EXISTS " + table + " (resource_key text PRIMARY KEY, validators text NOT NULL)");
        st.execute("CREATE SEQUENCE IF NOT EXISTS " + tokenSequence);
        st.execute("CREATE TABLE IF NOT EXISTS " + permitTable(table) + " (resource_key text NOT NULL,"
            + " ticket bigint NOT NULL, token bigint, lease_until timestamptz NOT NULL,"
            + " PRIMARY KEY (resource_key, ticket))");
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
      created = true;
    }

    String failure(SQLException e) {
      return "Could not create the tables " + table + ", " + permitTable(table) + " and the sequence " + tokenSequence
          + ": " + e.getMessage();
    }

    private Connection ready(Connection c) throws SQLException {
      if (!created) {
        synchronized (this) {
          if (!created) {
            try {
              create(c);
              LOG.log(Level.INFO, () -> "ETag Guard: PostgreSQL reached, tables " + table + " and " + permitTable(table)
                  + " ready");
            } catch (SQLException e) {
              c.close();
              throw new SQLException(failure(e), e.getSQLState(), e);
            }
          }
        }
      }
      return c;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return ready(dataSource.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return ready(dataSource.getConnection(username, password));
    }

    @Override
    public java.io.PrintWriter getLogWriter() throws SQLException {
      return dataSource.getLogWriter();
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) throws SQLException {
      dataSource.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      dataSource.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return dataSource.getLoginTimeout();
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws java.sql.SQLFeatureNotSupportedException {
      return dataSource.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      return dataSource.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
      return dataSource.isWrapperFor(type);
    }
  }
}
