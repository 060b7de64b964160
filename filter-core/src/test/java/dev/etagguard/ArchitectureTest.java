package dev.etagguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure as docs/architecture.md ("Packages and the public API") describes it,
 * checked on the sources: no package cycle, server types only in the host package, and exactly
 * the public types the document lists, each with its reason.
 */
class ArchitectureTest {

  private static final Path SOURCES = Path.of("src/main/java");
  private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.etagguard((?:\\.[a-z]\\w*)*)\\.([A-Z]\\w*)");

  /** Package name to the source text (comments removed) of each of its files, by file name. */
  private static final Map<String, Map<String, String>> PACKAGES = new TreeMap<>();

  @BeforeAll
  static void read() throws IOException {
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String pkg = SOURCES.relativize(file.getParent()).toString().replace(file.getFileSystem().getSeparator(), ".");
        String code = code(Files.readString(file, StandardCharsets.UTF_8));
        PACKAGES.computeIfAbsent(pkg, p -> new TreeMap<>()).put(file.getFileName().toString(), code);
      }
    }
  }

  /**
   * The source without comments and with every string and character literal emptied, so that
   * neither a path pattern such as {@code "/articles/*"} nor a name in a comment counts as code.
   */
  static String code(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int n = source.length();
    for (int i = 0; i < n; ) {
      char c = source.charAt(i);
      if (source.startsWith("\"\"\"", i)) {
        int end = source.indexOf("\"\"\"", i + 3);
        i = end < 0 ? n : end + 3;
        out.append("\"\"");
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && source.charAt(j) != c) {
          j += source.charAt(j) == '\\' ? 2 : 1;
        }
        i = j + 1;
        out.append(c).append(c);
      } else if (source.startsWith("//", i)) {
        int end = source.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.append(' ');
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  @Test
  void theCodeScanSeesCodeOnly() {
    assertThat(code("a(\"/x/*\", '\\'') /* dev.etagguard.servlet.X */ b(); // dev.etagguard.X\nc(\"\\\"\");"))
        .isEqualTo("a(\"\", '')   b(); \nc(\"\");");
  }

  /** Which packages each package's code refers to (imports and qualified names; comments aside). */
  private static Map<String, Set<String>> dependencies() {
    Map<String, Set<String>> graph = new TreeMap<>();
    PACKAGES.forEach((pkg, files) -> {
      Set<String> targets = new TreeSet<>();
      files.values().forEach(code -> {
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) {
          String target = "dev.etagguard" + m.group(1);
          if (!target.equals(pkg)) {
            targets.add(target);
          }
        }
      });
      graph.put(pkg, targets);
    });
    return graph;
  }

  @Test
  void noPackageCycle() {
    Map<String, Set<String>> graph = dependencies();
    assertThat(graph).as("the scan found the packages").containsKeys("dev.etagguard", "dev.etagguard.spi",
        "dev.etagguard.http", "dev.etagguard.servlet");
    for (String start : graph.keySet()) {
      // Every package reachable from start, with the path it was reached by.
      Deque<List<String>> paths = new ArrayDeque<>();
      paths.add(List.of(start));
      Set<String> seen = new TreeSet<>();
      while (!paths.isEmpty()) {
        List<String> path = paths.poll();
        for (String next : graph.getOrDefault(path.get(path.size() - 1), Set.of())) {
          List<String> longer = new ArrayList<>(path);
          longer.add(next);
          assertThat(next).as("package cycle %s", longer).isNotEqualTo(start);
          if (seen.add(next)) {
            paths.add(longer);
          }
        }
      }
    }
  }

  @Test
  void theEngineAndItsSpisKnowNoServer() {
    PACKAGES.forEach((pkg, files) -> {
      if (pkg.equals("dev.etagguard.servlet")) {
        return;
      }
      files.forEach((file, code) -> assertThat(code).as("%s.%s uses no server type", pkg, file)
          .doesNotContain("jakarta.servlet").doesNotContain("org.eclipse.jetty").doesNotContain("org.apache.catalina"));
      assertThat(dependencies().get(pkg)).as("%s depends on no host", pkg).doesNotContain("dev.etagguard.servlet");
    });
  }

  @Test
  void thePublicTypesAreTheDocumentedOnes() throws IOException {
    Set<String> actual = new TreeSet<>();
    PACKAGES.forEach((pkg, files) -> files.forEach((file, code) -> {
      String name = file.substring(0, file.length() - ".java".length());
      if (Pattern.compile("(?m)^public\\s+(?:final\\s+|abstract\\s+|sealed\\s+)*(?:class|interface|record|enum|@interface)\\s+"
          + name + "\\b").matcher(code).find()) {
        actual.add(pkg + "." + name);
      }
    }));
    String doc = Files.readString(Path.of("../docs/architecture.md"), StandardCharsets.UTF_8);
    int start = doc.indexOf("## Packages and the public API");
    assertThat(start).as("docs/architecture.md has the section").isNotNegative();
    int end = doc.indexOf("\n## ", start + 1);
    String section = doc.substring(start, end < 0 ? doc.length() : end);
    Set<String> documented = new TreeSet<>();
    Matcher row = Pattern.compile("(?m)^\\| `(dev\\.etagguard[\\w.]*)` \\| ([^|]+)\\|").matcher(section);
    while (row.find()) {
      assertThat(row.group(2).strip()).as("the reason %s is public", row.group(1)).isNotEmpty();
      documented.add(row.group(1));
    }
    assertThat(actual).as("public types of filter-core (left) against docs/architecture.md (right)")
        .containsExactlyElementsOf(documented);
  }
}
