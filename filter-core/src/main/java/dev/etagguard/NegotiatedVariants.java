package dev.etagguard;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;

import org.jspecify.annotations.Nullable;

/**
 * The tags of a resource's current representations that its handler selects by content
 * negotiation ({@code Vary: Accept}, {@code Accept-Language}, ...), learned from the responses the
 * guard sees since the resource's last write through the guard. The validator store keeps one
 * tag per resource; this keeps every variant's, so a client holding the JSON variant's tag is not
 * refused because another client last read the text one (RFC 9110 13.1.1: If-Match is true when
 * a listed tag matches a current representation).
 *
 * <p>A variant is named by the values of the request fields its response's {@code Vary} lists
 * ({@code Accept-Encoding} aside: encoded variants are {@link EncodedVariants}' concern). The same
 * variant seen with another tag means the resource changed: the set starts again from that tag.
 * {@code Vary: *} names no variant, and such a response is not recorded. In-process and bounded:
 * at most {@value #MAX_VARIANTS} variants per resource (the request fields are the client's, and
 * any number of them could be sent), and about as many variants in all as the validator store
 * has entries; a variant not remembered only means a client holding its tag may get 412. Variants
 * are told apart by a hash of their name: two that collide count as one, and when their tags
 * differ the set starts again, which again can only refuse more. A set counts only while the tag
 * the validator store holds is one of its tags.
 */
final class NegotiatedVariants {

  /** The most variants remembered per resource. */
  static final int MAX_VARIANTS = 8;

  private final Cache<ResourceKey, Map<Integer, EntityTag>> variants;

  NegotiatedVariants(long maximumVariants) {
    this.variants = Caffeine.newBuilder().maximumWeight(Math.max(MAX_VARIANTS, maximumVariants))
        .weigher((ResourceKey k, Map<Integer, EntityTag> m) -> m.size()).executor(Runnable::run).build();
  }

  /**
   * The name of the variant a request selects, by the response's {@code Vary} field, or
   * {@code null} when the response does not vary by anything but the encoding, or by {@code *}.
   *
   * @param hidden request fields the handler did not see (an internal GET's), taken as absent
   */
  static @Nullable String variant(@Nullable String vary, RequestView request, Set<String> hidden) {
    if (vary == null || vary.isBlank()) {
      return null;
    }
    List<String> names = new java.util.ArrayList<>();
    for (String part : vary.split(",")) {
      String name = part.strip().toLowerCase(Locale.ROOT);
      if (name.equals("*")) {
        return null;
      }
      if (!name.isEmpty() && !name.equals("accept-encoding") && !names.contains(name)) {
        names.add(name);
      }
    }
    if (names.isEmpty()) {
      return null;
    }
    java.util.Collections.sort(names);
    StringBuilder id = new StringBuilder();
    for (String name : names) {
      List<String> values = hidden.contains(name) ? List.of() : request.headers(name);
      id.append(name).append(':').append(values.size());
      for (String v : values) {
        id.append('\n').append(v.length()).append(':').append(v);
      }
      id.append('\n');
    }
    return id.toString();
  }

  /** Whether {@code variant} of the resource is known with {@code tag}: nothing to record. */
  boolean knows(ResourceKey key, String variant, EntityTag tag) {
    Map<Integer, EntityTag> known = variants.getIfPresent(key);
    return known != null && tag.equals(known.get(variant.hashCode()));
  }

  /** Records that {@code variant} of the resource has {@code tag}. */
  void learned(ResourceKey key, String variant, EntityTag tag) {
    Integer id = variant.hashCode();
    variants.asMap().compute(key, (k, old) -> {
      if (old == null) {
        return Map.of(id, tag);
      }
      EntityTag before = old.get(id);
      if (before != null && !before.equals(tag)) {
        return Map.of(id, tag); // the same variant changed: the resource did
      }
      if (tag.equals(before) || old.size() >= MAX_VARIANTS) {
        return old;
      }
      Map<Integer, EntityTag> next = new HashMap<>(old);
      next.put(id, tag);
      return Map.copyOf(next);
    });
  }

  /** Forgets a resource's variants: it was written. */
  void forget(ResourceKey key) {
    variants.invalidate(key);
  }

  /** Whether any variant of the resource is known: its responses vary. */
  boolean varies(ResourceKey key) {
    return variants.getIfPresent(key) != null;
  }

  /**
   * The tags of the resource's current variants when {@code current} (the tag the store holds)
   * is one of them and there are others; else an empty set.
   */
  Set<EntityTag> alongside(ResourceKey key, @Nullable EntityTag current) {
    Map<Integer, EntityTag> known = variants.getIfPresent(key);
    if (known == null || known.size() < 2 || current == null || !known.containsValue(current)) {
      return Set.of();
    }
    return Set.copyOf(known.values());
  }
}
