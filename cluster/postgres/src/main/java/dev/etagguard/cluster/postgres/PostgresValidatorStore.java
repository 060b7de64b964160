package dev.etagguard.cluster.postgres;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import javax.sql.DataSource;

import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;

import org.jspecify.annotations.Nullable;

/**
 * Validators in a table {@code (resource_key, validators)}, in {@link ValidatorStore#encode}'s
 * text form. Writes commit by {@link #compareAndSet}, one conditional statement; {@link #put}
 * (what a read observed) records nothing, see {@link ValidatorStore}. Reads of the store fail quietly (a missing entry is safe);
 * compare-and-set throws when the server cannot be reached.
 */
final class PostgresValidatorStore implements ValidatorStore {

  private static final System.Logger LOG = System.getLogger(PostgresValidatorStore.class.getName());

  private final DataSource dataSource;
  private final String table;
  private final String select;
  private final String insert;
  /** The compare-and-set of a row that is there: parameters next, key, expected. */
  final String update;
  private final String delete;
  private final String deleteIf;

  PostgresValidatorStore(DataSource dataSource, String table) {
    this.dataSource = dataSource;
    this.table = table;
    this.select = "SELECT validators FROM " + table + " WHERE resource_key = ?";
    this.insert = "INSERT INTO " + table + " (resource_key, validators) VALUES (?, ?) ON CONFLICT (resource_key) DO NOTHING";
    this.update = "UPDATE " + table + " SET validators = ? WHERE resource_key = ? AND validators = ?";
    this.delete = "DELETE FROM " + table + " WHERE resource_key = ?";
    this.deleteIf = "DELETE FROM " + table + " WHERE resource_key = ? AND validators = ?";
  }

  @Override
  public @Nullable Validators get(ResourceKey key) {
    try {
      return read(key);
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not read the validators of " + key, e);
      return null;
    }
  }

  private @Nullable Validators read(ResourceKey key) throws SQLException {
    try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(select)) {
      st.setString(1, key.value());
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? ValidatorStore.decode(rs.getString(1)) : null;
      }
    }
  }

  /** Decodes a row's validators as another statement read them; {@code null} when absent or not readable. */
  @Nullable Validators decodeQuietly(ResourceKey key, @Nullable String validators) {
    try {
      return validators == null ? null : ValidatorStore.decode(validators);
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not read the validators of " + key, e);
      return null;
    }
  }

  /** What a compare-and-set throws when the server cannot be reached. */
  IllegalStateException unreachable(SQLException e) {
    return new IllegalStateException("The validator table " + table + " could not be reached: " + e.getMessage(), e);
  }

  @Override
  public void put(ResourceKey key, Validators validators) {
    // A read's observation is not recorded: after the row was deleted, a read that began before
    // the last write would record that write's predecessor.
  }

  @Override
  public void invalidate(ResourceKey key) {
    try {
      execute(delete, key.value());
    } catch (SQLException e) {
      LOG.log(Level.DEBUG, () -> "Could not forget the validators of " + key, e);
    }
  }

  @Override
  public boolean compareAndSet(ResourceKey key, @Nullable Validators expected, @Nullable Validators next) {
    try {
      if (expected == null) {
        return next == null ? read(key) == null : execute(insert, key.value(), ValidatorStore.encode(next)) == 1;
      }
      String was = ValidatorStore.encode(expected);
      return next == null
          ? execute(deleteIf, key.value(), was) == 1
          : execute(update, ValidatorStore.encode(next), key.value(), was) == 1;
    } catch (SQLException e) {
      throw unreachable(e);
    }
  }

  private int execute(String sql, String... parameters) throws SQLException {
    try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        st.setString(i + 1, parameters[i]);
      }
      int rows = st.executeUpdate();
      if (!c.getAutoCommit()) {
        c.commit(); // a pool configured without auto-commit
      }
      return rows;
    }
  }

  @Override
  public String toString() {
    return "PostgresValidatorStore{table=" + table + "}";
  }
}
