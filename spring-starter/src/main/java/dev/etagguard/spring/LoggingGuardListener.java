package dev.etagguard.spring;

import java.lang.System.Logger.Level;

import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;

/**
 * The default {@link GuardListener} bean: logs each decision at DEBUG (logger
 * {@code dev.etagguard.spring.LoggingGuardListener}), and nothing when DEBUG is off. Thread-safe.
 */
final class LoggingGuardListener implements GuardListener {

  private static final System.Logger LOG = System.getLogger(LoggingGuardListener.class.getName());

  @Override
  public void onDecision(ResourceKey key, String method, Decision decision) {
    if (LOG.isLoggable(Level.DEBUG)) {
      LOG.log(Level.DEBUG, "ETag Guard: " + (method.isEmpty() ? "" : method + " ") + key + " -> " + decision);
    }
  }

  @Override
  public String toString() {
    return "LoggingGuardListener";
  }
}
