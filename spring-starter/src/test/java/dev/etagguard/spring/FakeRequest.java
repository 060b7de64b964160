package dev.etagguard.spring;

import java.util.List;
import java.util.Map;

import dev.etagguard.spi.RequestView;

import org.jspecify.annotations.Nullable;

/** A request for driving an engine directly. */
record FakeRequest(String method, String path, @Nullable String query, Map<String, List<String>> headerLines)
    implements RequestView {

  static FakeRequest of(String method, String path, String... headerPairs) {
    Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
    for (int i = 0; i < headerPairs.length; i += 2) {
      headers.computeIfAbsent(headerPairs[i].toLowerCase(java.util.Locale.ROOT), k -> new java.util.ArrayList<>())
          .add(headerPairs[i + 1]);
    }
    return new FakeRequest(method, path, null, headers);
  }

  @Override
  public List<String> headers(String name) {
    return headerLines.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of());
  }
}
