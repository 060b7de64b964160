package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The project's README, for tests that check what it lists against the code. */
public final class Readme {

  private Readme() {
  }

  /**
   * The section {@code ## heading} of the README, from its heading to the next {@code ## }
   * heading; tests run in a module's directory, the README is in its parent.
   */
  public static String section(String heading) throws IOException {
    Path readme = Path.of("..", "README.md");
    assertThat(readme).isRegularFile();
    String text = Files.readString(readme);
    int start = text.indexOf("\n## " + heading + "\n");
    assertThat(start).as("README has a '## %s' section", heading).isNotNegative();
    int end = text.indexOf("\n## ", start + 1);
    return end < 0 ? text.substring(start + 1) : text.substring(start + 1, end);
  }
}
