package dev.etagguard.conformance.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The bundled copy of the conformance cases is the shared one, and it loads. */
class ConformanceCasesTest {

  @Test
  void bundledCopyLoadsEveryRow() {
    assertThat(ConformanceCases.all()).hasSizeGreaterThanOrEqualTo(80);
    assertThat(ConformanceCases.all()).allSatisfy(c -> {
      assertThat(c.id()).isNotBlank();
      assertThat(c.method()).isNotBlank();
      assertThat(c.acceptable()).isNotEmpty();
    });
    assertThat(ConformanceCases.httpRows()).hasSizeGreaterThanOrEqualTo(60)
        .allSatisfy(c -> assertThat(c.fixture()).isIn("RS", "RN"));
  }

  @Test
  void multiLineHeadersStayApart() {
    ConformanceCase a07 = ConformanceCases.all().stream().filter(c -> c.id().equals("A07")).findFirst().orElseThrow();
    assertThat(a07.headers().get("If-Match")).containsExactly("\"1a2b3c4d\"", "{other_etag}", "\"abcdefg\"");
    assertThat(a07.acceptable()).containsExactly(412);
  }

  @Test
  void bundledCopyMatchesSharedCopy() throws Exception {
    Optional<Path> shared = ConformanceCases.sharedCopy();
    assumeTrue(shared.isPresent(), "no ../shared/conformance beside this checkout");
    assertThat(ConformanceCases.bundledBytes())
        .as("conformance-kit/src/main/resources/dev/etagguard/conformance/kit/cases.json is a copy of %s; refresh it",
            shared.get())
        .isEqualTo(Files.readAllBytes(shared.get()));
  }
}
