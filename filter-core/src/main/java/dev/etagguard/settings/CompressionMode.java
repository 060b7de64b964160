package dev.etagguard.settings;

import java.util.Locale;

/**
 * What the guard does with a strong entity tag on a response whose content is encoded
 * ({@code Content-Encoding: gzip}, {@code br}, ...): a compressed representation is a different
 * representation and must never share a strong tag with the identity one (RFC 9110 8.8.3.3).
 * The option {@code compressionMode}; the mode applies alike to 200 and 304 responses and to the
 * If-Match, If-None-Match and If-Range comparisons.
 *
 * <p>It governs the encoded responses the guard sees, that is compression done by the handler or
 * by anything between the guard and the handler. Compression outside the guard is the server's:
 * Tomcat's connector never compresses a response with a strong ETag, and Jetty's
 * {@code CompressionHandler} outside the guard suffixes the tag with {@code --gzip} (and strips the
 * suffix from If-Match and If-None-Match) itself, as {@link #SUFFIX} does.
 *
 * <p>A generated tag is the digest of the bytes sent, so an encoded body already gets a tag of
 * its own; the guard sends it but does not store it (the stored validators are those of the
 * identity representation, which internal GETs fetch without Accept-Encoding).
 *
 * @since 0.1
 */
public enum CompressionMode {

  /**
   * The default: the handler's strong tag {@code "T"} on an encoded response becomes
   * {@code "T--gzip"} (the coding's name), the convention of Jetty's compression handler.
   * If-None-Match on writes takes any {@code "T--coding"} for the current {@code "T"}; If-Match on
   * writes takes it only when a response with that coding carried it since the resource's last
   * write (in this process), so a handler's own tag that merely looks suffixed never stands for
   * the current state; GET and HEAD compare with the tag of the representation they would send;
   * If-Range matches only the same encoding.
   */
  SUFFIX,

  /**
   * The handler's strong tag on an encoded response becomes weak ({@code W/"T"}): caches still
   * revalidate either encoding with If-None-Match (weak comparison), while If-Match and If-Range,
   * which compare strongly, never match a weak tag, so writes and ranges need the identity
   * representation's tag.
   */
  WEAKEN,

  /**
   * Strong tags only on identity content: the guard hides Accept-Encoding from the handler for the
   * GET and HEAD requests it tags, so nothing behind it compresses them. A response still encoded
   * (content stored compressed, served without negotiation) gets a weak tag as with {@link #WEAKEN}.
   */
  IDENTITY;

  /** The option value. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
