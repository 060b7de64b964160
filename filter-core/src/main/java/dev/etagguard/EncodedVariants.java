package dev.etagguard;

import dev.etagguard.settings.CompressionMode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.EntityTagCondition;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.ResourceKey;

import org.jspecify.annotations.Nullable;

/**
 * The tags of encoded (compressed) representations, by {@link CompressionMode}: which tag an
 * encoded response carries, and, in {@link CompressionMode#SUFFIX} mode, which request tags name
 * an encoded variant of the current identity tag.
 */
final class EncodedVariants {

  private EncodedVariants() {
  }

  /**
   * The content codings of a Content-Encoding field value, lower case and joined by {@code -}, or
   * {@code null} when the content is not encoded ({@code identity} or no field).
   */
  static @Nullable String coding(@Nullable String contentEncoding) {
    if (contentEncoding == null) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (String part : contentEncoding.split(",")) {
      String c = part.strip().toLowerCase(Locale.ROOT);
      if (c.isEmpty() || c.equals("identity")) {
        continue;
      }
      if (!isToken(c.replace('-', '_'))) {
        return "encoded"; // still a different representation, named neutrally
      }
      if (sb.length() > 0) {
        sb.append('-');
      }
      sb.append(c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  /**
   * The validators an encoded response carries for the resource's {@code identity} validators:
   * the strong tag suffixed ({@code "T--gzip"}) or weakened, by {@code mode}. Weak tags stay.
   */
  static Validators encoded(Validators identity, String coding, CompressionMode mode) {
    EntityTag tag = identity.etag();
    if (tag == null || tag.weak()) {
      return identity;
    }
    EntityTag variant;
    if (mode == CompressionMode.SUFFIX) {
      String suffix = "--" + coding;
      variant = tag.opaque().endsWith(suffix) ? tag : EntityTag.strong(tag.opaque() + suffix);
    } else {
      variant = tag.toWeak();
    }
    return new Validators(true, variant, identity.lastModified(), identity.weakLastModified());
  }

  /** Puts the tag of {@code sent} into the header fields when it differs from {@code identity}'s. */
  static void putTag(Map<String, String> headers, Validators identity, Validators sent) {
    if (sent != identity && sent.etag() != null) {
      headers.put("ETag", sent.etag().toString());
    }
  }

  /**
   * The encoded variants the guard has seen or sent, per resource, since the resource's last write
   * through the guard: the identity tag {@code "T"} and the codings {@code c} for which a response
   * with {@code Content-Encoding: c} carried {@code "T--c"} ({@link CompressionMode#SUFFIX}). Only
   * these are mapped back to {@code "T"}: a handler's own tag that merely looks suffixed (its
   * {@code "rev7--draft"} beside a later {@code "rev7"}) names another version, never a
   * compressed one. In-process and bounded; a variant another instance sent is not known here,
   * and a write with its tag gets 412 (safe: the client reads again).
   */
  static final class Issued {
    private final com.github.benmanes.caffeine.cache.Cache<ResourceKey, Sent> sent;

    /** The identity tag of a resource and the codings sent for it. */
    private record Sent(EntityTag identity, java.util.Set<String> codings) {
    }

    Issued(long maximumSize) {
      this.sent = com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(Math.max(1, maximumSize))
          .executor(Runnable::run).build();
    }

    /**
     * Records that a response with {@code coding} carried {@code tag}, when that tag is an
     * identity tag with the coding's suffix.
     */
    void sent(ResourceKey key, EntityTag tag, String coding) {
      String suffix = "--" + coding;
      String o = tag.opaque();
      if (tag.weak() || !o.endsWith(suffix) || o.length() == suffix.length()) {
        return;
      }
      EntityTag identity = EntityTag.strong(o.substring(0, o.length() - suffix.length()));
      Sent known = sent.getIfPresent(key);
      if (known != null && known.identity().equals(identity) && known.codings().contains(coding)) {
        return; // the common case: nothing new
      }
      sent.asMap().compute(key, (k, old) -> {
        if (old != null && old.identity().equals(identity)) {
          if (old.codings().contains(coding)) {
            return old;
          }
          java.util.Set<String> codings = new java.util.HashSet<>(old.codings());
          codings.add(coding);
          return new Sent(identity, java.util.Set.copyOf(codings));
        }
        return new Sent(identity, java.util.Set.of(coding));
      });
    }

    /** Forgets a resource's variants: it was written. */
    void forget(ResourceKey key) {
      sent.invalidate(key);
    }

    /** Whether {@code tag} is an encoded variant of {@code current} that was sent for {@code key}. */
    boolean isVariant(ResourceKey key, EntityTag tag, EntityTag current) {
      Sent s = sent.getIfPresent(key);
      if (s == null || !s.identity().equals(current) || !EncodedVariants.isVariant(tag, current)) {
        return false;
      }
      return s.codings().contains(tag.opaque().substring(current.opaque().length() + 2));
    }
  }

  /**
   * Whether any If-Match or If-None-Match tag of {@code conditions} looks like an encoded variant
   * of {@code current} ({@code "T--c"} for {@code "T"}), whoever sent it.
   */
  static boolean namesVariant(RequestConditions conditions, @Nullable EntityTag current) {
    if (current == null || current.weak()) {
      return false;
    }
    for (EntityTagCondition c : java.util.Arrays.asList(conditions.ifMatch(), conditions.ifNoneMatch())) {
      if (c instanceof EntityTagCondition.Tags tags) {
        for (EntityTag t : tags.tags()) {
          if (isVariant(t, current)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * The conditions with every If-Match tag that names an encoded variant of {@code current} sent
   * for the resource ({@code "T--gzip"} for {@code "T"}, see {@link Issued}), and every
   * If-None-Match tag that looks like one, replaced by {@code current}'s tag, so a write from a
   * client that read the compressed representation is checked against the state it saw
   * ({@link CompressionMode#SUFFIX}). The two differ on purpose: a tag mapped in If-Match lets a
   * write through, so only a variant a compressor produced may be mapped there; a tag mapped in
   * If-None-Match can only refuse one, so the suffix convention alone is enough.
   */
  static RequestConditions identifyVariants(RequestConditions conditions, @Nullable EntityTag current,
      Issued issued, ResourceKey key) {
    if (current == null || current.weak()) {
      return conditions;
    }
    EntityTagCondition ifMatch = identify(conditions.ifMatch(), current, issued, key);
    EntityTagCondition ifNoneMatch = identify(conditions.ifNoneMatch(), current, null, key);
    if (ifMatch == conditions.ifMatch() && ifNoneMatch == conditions.ifNoneMatch()) {
      return conditions;
    }
    return new RequestConditions(ifMatch, conditions.ifUnmodifiedSince(), ifNoneMatch,
        conditions.ifModifiedSince(), conditions.ifRange(), conditions.range());
  }

  /** With {@code issued}, only tags sent for the resource; without, any tag that looks like a variant. */
  private static @Nullable EntityTagCondition identify(@Nullable EntityTagCondition condition, EntityTag current,
      @Nullable Issued issued, ResourceKey key) {
    if (!(condition instanceof EntityTagCondition.Tags tags)) {
      return condition;
    }
    List<EntityTag> out = null;
    for (int i = 0; i < tags.tags().size(); i++) {
      EntityTag tag = tags.tags().get(i);
      if (issued == null ? isVariant(tag, current)
          : issued.isVariant(key, tag.weak() ? EntityTag.strong(tag.opaque()) : tag, current)) {
        if (out == null) {
          out = new ArrayList<>(tags.tags());
        }
        out.set(i, tag.weak() ? current.toWeak() : current);
      }
    }
    return out == null ? condition : new EntityTagCondition.Tags(out);
  }

  /** Whether {@code tag} is {@code current} with a {@code --coding} suffix. */
  static boolean isVariant(EntityTag tag, EntityTag current) {
    String o = tag.opaque();
    String base = current.opaque();
    int n = base.length();
    return o.length() > n + 2 && o.startsWith(base) && o.startsWith("--", n) && isCodings(o.substring(n + 2));
  }

  private static boolean isCodings(String s) {
    for (String c : s.split("-", -1)) {
      if (c.isEmpty() || !isToken(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '+')) {
        return false;
      }
    }
    return !s.isEmpty();
  }
}
