package dev.etagguard;

import dev.etagguard.settings.GuardSettings;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;

/** The warnings an engine logs at start for settings that give something up (System.Logger on JUL). */
class StartWarningsTest {

  private static List<String> warningsOf(GuardSettings settings) {
    Logger logger = Logger.getLogger(GuardEngine.class.getName());
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(r.getMessage());
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    logger.addHandler(handler);
    try {
      GuardEngine.create(settings);
    } finally {
      logger.removeHandler(handler);
    }
    return warnings;
  }

  @Test
  void weakIfMatchPathsWarnWhatTheyGiveUp() {
    assertThat(warningsOf(GuardSettings.builder().weakIfMatchPaths("/legacy/*").build()))
        .anySatisfy(w -> assertThat(w).contains("weakIfMatchPaths", "[/legacy/*]", "does not prove byte identity",
            "semantically equivalent", "If-Range stay strong"));
  }

  @Test
  void theDefaultsWarnAboutNothing() {
    assertThat(warningsOf(GuardSettings.DEFAULTS)).isEmpty();
  }
}
