package dev.etagguard.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Loads the shared conformance cases. The project keeps a copy in its test resources
 * ({@code conformance/cases.json}), so tests run from any checkout; {@code ConformanceCopyTest}
 * checks the copy against {@code ../shared/conformance/cases.json} where that exists.
 */
public final class ConformanceCases {

  private static final List<ConformanceCase> ALL = load();

  private ConformanceCases() {
  }

  /** Every row. */
  public static List<ConformanceCase> all() {
    return ALL;
  }

  /** The rows matching a filter, as a stream for {@code @MethodSource}. */
  public static Stream<ConformanceCase> where(Predicate<ConformanceCase> filter) {
    return ALL.stream().filter(filter);
  }

  /** The rows of the given fixtures. */
  public static Predicate<ConformanceCase> fixtures(String... fixtures) {
    Set<String> set = Set.of(fixtures);
    return c -> set.contains(c.fixture());
  }

  /** The raw bytes of the bundled copy. */
  public static byte[] bundledBytes() {
    try (InputStream in = ConformanceCases.class.getResourceAsStream("/conformance/cases.json")) {
      if (in == null) {
        throw new IllegalStateException("conformance/cases.json is missing from the test class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The shared copy beside the project, {@code ../shared/conformance/cases.json}, if any. */
  public static java.util.Optional<Path> sharedCopy() {
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
      Path candidate = dir.resolveSibling("shared").resolve("conformance").resolve("cases.json");
      if (Files.isRegularFile(candidate)) {
        return java.util.Optional.of(candidate);
      }
    }
    return java.util.Optional.empty();
  }

  private static List<ConformanceCase> load() {
    ObjectMapper mapper = JsonMapper.builder().build();
    JsonNode root = mapper.readTree(bundledBytes());
    List<ConformanceCase> cases = new ArrayList<>();
    for (JsonNode row : root) {
      Map<String, List<String>> headers = new LinkedHashMap<>();
      row.path("headers").properties().forEach(e -> {
        List<String> lines = new ArrayList<>();
        if (e.getValue().isArray()) {
          e.getValue().forEach(v -> lines.add(v.asString()));
        } else {
          lines.add(e.getValue().asString());
        }
        headers.put(e.getKey(), List.copyOf(lines));
      });
      List<Integer> acceptable = new ArrayList<>();
      JsonNode rfc = row.path("rfc_status");
      if (rfc.isArray()) {
        rfc.forEach(v -> acceptable.add(v.asInt()));
      } else {
        acceptable.add(rfc.asInt());
      }
      Map<String, String> expectHeaders = new LinkedHashMap<>();
      row.path("expect_headers").properties().forEach(e -> expectHeaders.put(e.getKey(), e.getValue().asString()));
      cases.add(new ConformanceCase(row.path("id").asString(), row.path("source").asString(),
          row.path("method").asString(), row.path("exists").asBoolean(), Map.copyOf(headers),
          row.path("expect_status").asInt(), List.copyOf(acceptable), row.path("level").asString(),
          row.path("fixture").asString(), row.path("body").isMissingNode() ? null : row.path("body").asString(),
          Map.copyOf(expectHeaders), row.path("notes").asString()));
    }
    return List.copyOf(cases);
  }
}
