package dev.etagguard.conformance.kit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * The conformance cases, loaded once from the copy bundled with the kit ({@code cases.json} beside
 * this class). The kit's {@code ConformanceCasesTest} checks the copy against the shared one,
 * {@code ../shared/conformance/cases.json}, where that exists. Thread-safe (immutable).
 *
 * @since 0.1
 */
public final class ConformanceCases {

  /** The bundled copy's resource name, relative to this class. */
  static final String RESOURCE = "cases.json";

  private static final List<ConformanceCase> ALL = load();

  private ConformanceCases() {
  }

  /** Every row, in file order. */
  public static List<ConformanceCase> all() {
    return ALL;
  }

  /** The rows matching a filter, as a stream (for JUnit's {@code @MethodSource}). */
  public static Stream<ConformanceCase> where(Predicate<ConformanceCase> filter) {
    return ALL.stream().filter(filter);
  }

  /** The rows of the given fixtures. */
  public static Predicate<ConformanceCase> fixtures(String... fixtures) {
    Set<String> set = Set.of(fixtures);
    return c -> set.contains(c.fixture());
  }

  /**
   * The rows that run over HTTP against any server, fixtures RS (a resource the kit creates with
   * {@code PUT If-None-Match: *}) and RN (one it never creates). The other fixtures need a handler
   * with particular validators and are for the engine-level tests.
   */
  public static List<ConformanceCase> httpRows() {
    return where(fixtures("RS", "RN")).toList();
  }

  /** The raw bytes of the bundled copy. */
  public static byte[] bundledBytes() {
    try (InputStream in = ConformanceCases.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing beside " + ConformanceCases.class.getName());
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The shared copy beside a checkout of the project, {@code ../shared/conformance/cases.json}
   * seen from the working directory or up to three of its parents, if any.
   */
  public static Optional<Path> sharedCopy() {
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
      Path candidate = dir.resolveSibling("shared").resolve("conformance").resolve("cases.json");
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  @SuppressWarnings("unchecked")
  private static List<ConformanceCase> load() {
    Object root = Json.parse(new String(bundledBytes(), StandardCharsets.UTF_8));
    List<ConformanceCase> cases = new ArrayList<>();
    for (Object element : (List<Object>) requireNonNull(root, "root")) {
      Map<String, @Nullable Object> row = (Map<String, @Nullable Object>) element;
      Map<String, List<String>> headers = new LinkedHashMap<>();
      Map<String, @Nullable Object> rawHeaders = row.get("headers") instanceof Map<?, ?> h
          ? (Map<String, @Nullable Object>) h : Map.of();
      rawHeaders.forEach((name, value) -> {
        List<String> lines = new ArrayList<>();
        if (value instanceof List<?> list) {
          list.forEach(v -> lines.add(String.valueOf(v)));
        } else {
          lines.add(String.valueOf(value));
        }
        headers.put(name, List.copyOf(lines));
      });
      List<Integer> acceptable = new ArrayList<>();
      Object rfc = row.get("rfc_status");
      if (rfc instanceof List<?> list) {
        list.forEach(v -> acceptable.add(((Number) requireNonNull(v, "rfc_status")).intValue()));
      } else {
        acceptable.add(((Number) requireNonNull(rfc, "rfc_status")).intValue());
      }
      Map<String, String> expectHeaders = new LinkedHashMap<>();
      if (row.get("expect_headers") instanceof Map<?, ?> e) {
        e.forEach((k, v) -> expectHeaders.put(String.valueOf(k), String.valueOf(v)));
      }
      Object body = row.get("body");
      cases.add(new ConformanceCase(text(row, "id"), text(row, "source"), text(row, "method"),
          Boolean.TRUE.equals(row.get("exists")), Map.copyOf(headers),
          ((Number) requireNonNull(row.get("expect_status"), "expect_status")).intValue(), List.copyOf(acceptable),
          text(row, "level"), text(row, "fixture"), body == null ? null : body.toString(),
          Map.copyOf(expectHeaders), text(row, "notes")));
    }
    return List.copyOf(cases);
  }

  private static String text(Map<String, @Nullable Object> row, String key) {
    Object v = row.get(key);
    return v == null ? "" : v.toString();
  }

  private static Object requireNonNull(@Nullable Object value, String what) {
    if (value == null) {
      throw new IllegalStateException(RESOURCE + ": missing " + what);
    }
    return value;
  }
}
