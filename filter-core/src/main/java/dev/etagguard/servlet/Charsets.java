package dev.etagguard.servlet;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

/** Charset lookup for servlet character encodings. */
final class Charsets {

  private Charsets() {
  }

  /** The named charset, or ISO-8859-1 (the servlet default) when absent or unknown. */
  static Charset orLatin1(@Nullable String name) {
    if (name == null) {
      return StandardCharsets.ISO_8859_1;
    }
    try {
      return Charset.forName(name.strip());
    } catch (IllegalArgumentException e) {
      return StandardCharsets.ISO_8859_1;
    }
  }
}
