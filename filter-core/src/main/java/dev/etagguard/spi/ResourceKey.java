package dev.etagguard.spi;

import java.util.Objects;

/**
 * The identity of a resource for write ordering and validator storage: two requests with equal
 * keys address the same resource.
 *
 * @param value the normalized form, e.g. {@code /articles/12}; its {@code toString()}
 * @since 0.1
 */
public record ResourceKey(String value) {

  /** Checks the value. */
  public ResourceKey {
    Objects.requireNonNull(value, "value");
  }

  /** Equal normalized forms. */
  @Override
  public boolean equals(Object o) {
    return this == o || o instanceof ResourceKey k && value.equals(k.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }
}
