package dev.etagguard.spring;

import java.util.List;

import dev.etagguard.spi.GuardListener;
import dev.etagguard.spi.ResourceKey;

/**
 * Hands every event to each listener in turn, so user listeners and the metrics binding all hear
 * the engine. Thread-safe when the listeners are.
 *
 * @param listeners the listeners, in order
 */
record CompositeGuardListener(List<GuardListener> listeners) implements GuardListener {

  /** One listener for all: the only one, {@link GuardListener#none()} for none, else a composite. */
  static GuardListener of(List<GuardListener> listeners) {
    return switch (listeners.size()) {
      case 0 -> GuardListener.none();
      case 1 -> listeners.get(0);
      default -> new CompositeGuardListener(List.copyOf(listeners));
    };
  }

  @Override
  public void onDecision(ResourceKey key, String method, Decision decision) {
    for (GuardListener listener : listeners) {
      listener.onDecision(key, method, decision);
    }
  }

  @Override
  public void onPermitUnavailable(ResourceKey key, long waitNanos) {
    for (GuardListener listener : listeners) {
      listener.onPermitUnavailable(key, waitNanos);
    }
  }

  @Override
  public void onPermitGranted(ResourceKey key, long waitNanos) {
    for (GuardListener listener : listeners) {
      listener.onPermitGranted(key, waitNanos);
    }
  }

  @Override
  public void onNotModified(ResourceKey key, String method, long bytesNotSent) {
    for (GuardListener listener : listeners) {
      listener.onNotModified(key, method, bytesNotSent);
    }
  }

  @Override
  public void onLostUpdatePrevented(ResourceKey key, String method) {
    for (GuardListener listener : listeners) {
      listener.onLostUpdatePrevented(key, method);
    }
  }

  @Override
  public void onRetryRecognized(ResourceKey key, String method) {
    for (GuardListener listener : listeners) {
      listener.onRetryRecognized(key, method);
    }
  }
}
