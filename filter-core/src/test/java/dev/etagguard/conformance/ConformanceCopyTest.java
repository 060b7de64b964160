package dev.etagguard.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The bundled copy of the conformance cases is the shared one, and it loads. */
class ConformanceCopyTest {

  @Test
  void bundledCopyLoadsEveryRow() {
    assertThat(ConformanceCases.all()).hasSizeGreaterThanOrEqualTo(80);
    assertThat(ConformanceCases.all()).allSatisfy(c -> {
      assertThat(c.id()).isNotBlank();
      assertThat(c.acceptable()).isNotEmpty();
    });
  }

  @Test
  void bundledCopyMatchesSharedCopy() throws Exception {
    Optional<Path> shared = ConformanceCases.sharedCopy();
    assumeTrue(shared.isPresent(), "no ../shared/conformance beside this checkout");
    assertThat(ConformanceCases.bundledBytes())
        .as("filter-core/src/test/resources/conformance/cases.json is a copy of %s; refresh it", shared.get())
        .isEqualTo(Files.readAllBytes(shared.get()));
  }
}
