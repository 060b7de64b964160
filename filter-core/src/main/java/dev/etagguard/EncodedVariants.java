package dev.etagguard;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.EntityTagCondition;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;

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
   * The conditions with every If-Match and If-None-Match tag that names an encoded variant of
   * {@code current} ({@code "T--gzip"} for {@code "T"}) replaced by {@code current}'s tag, so a
   * write from a client that read the compressed representation is checked against the state it
   * saw ({@link CompressionMode#SUFFIX}).
   */
  static RequestConditions identifyVariants(RequestConditions conditions, @Nullable EntityTag current) {
    if (current == null || current.weak()) {
      return conditions;
    }
    EntityTagCondition ifMatch = identify(conditions.ifMatch(), current);
    EntityTagCondition ifNoneMatch = identify(conditions.ifNoneMatch(), current);
    if (ifMatch == conditions.ifMatch() && ifNoneMatch == conditions.ifNoneMatch()) {
      return conditions;
    }
    return new RequestConditions(ifMatch, conditions.ifUnmodifiedSince(), ifNoneMatch,
        conditions.ifModifiedSince(), conditions.ifRange(), conditions.range());
  }

  private static @Nullable EntityTagCondition identify(@Nullable EntityTagCondition condition, EntityTag current) {
    if (!(condition instanceof EntityTagCondition.Tags tags)) {
      return condition;
    }
    List<EntityTag> out = null;
    for (int i = 0; i < tags.tags().size(); i++) {
      EntityTag tag = tags.tags().get(i);
      if (isVariant(tag, current)) {
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
