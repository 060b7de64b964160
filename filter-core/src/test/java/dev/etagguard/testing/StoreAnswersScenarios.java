package dev.etagguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;

import dev.etagguard.GuardEngine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The options {@code authoritativePaths} and {@code invalidationRules} over real sockets, as every
 * adapter runs them: {@link StoreAnswersDrill} against a guard configured as
 * {@link StoreAnswersDrill#settings(boolean)}, without and with read permits; without them, a
 * conditional read of an article being written goes to the handler too (with them it would wait
 * for the write). After each test the guard holds no permit and its sequencer no key. Subclasses
 * start the adapter, configured the adapter's own way.
 */
public abstract class StoreAnswersScenarios {

  /**
   * The guard under test.
   *
   * @param base the URI that {@code /articles...} is appended to
   * @param engine the guard's engine
   * @param server what stops the server (and the engine, where the test built it)
   */
  public record Guarded(URI base, GuardEngine engine, AutoCloseable server) {
  }

  /**
   * Starts the adapter with the options of {@link StoreAnswersDrill#settings(boolean)}
   * ({@code authoritativePaths=/articles/*}, {@code invalidationRules=/articles/{id} -> /articles},
   * {@code permitTimeout=30s}, {@code readPermits}) in front of {@code servlet}.
   */
  protected abstract Guarded start(ArticlesServlet servlet, boolean readPermits) throws Exception;

  private Guarded guarded;

  @AfterEach
  void stop() throws Exception {
    if (guarded == null) {
      return;
    }
    try {
      if (guarded.engine() != null) {
        assertThat(Permits.awaitHeld(guarded.engine().sequencer(), 0, Duration.ofSeconds(5)))
            .as("permits held after the test").isZero();
        assertThat(guarded.engine().sequencer().activeKeys()).as("sequencer keys left").isZero();
      }
    } finally {
      guarded.server().close();
    }
  }

  @ParameterizedTest(name = "[{index}] readPermits={0}")
  @ValueSource(booleans = {false, true})
  void conditionalReadsAreAnsweredFromTheStoreAndWritesKeepItRight(boolean readPermits) throws Exception {
    ArticlesServlet servlet = new ArticlesServlet();
    guarded = start(servlet, readPermits);
    GuardEngine engine = guarded.engine();
    assertThat(engine).isNotNull();
    assertThat(engine.settings().authoritativePaths()).hasToString("[/articles/*]");
    assertThat(engine.settings().invalidationRules()).hasToString("[/articles/{id} -> /articles]");
    assertThat(engine.settings().readPermits()).isEqualTo(readPermits);
    StoreAnswersDrill drill = new StoreAnswersDrill(guarded.base(), servlet, engine);
    drill.run();
    if (!readPermits) {
      drill.aWriteInProgressSendsReadsToTheHandler("20");
    }
  }
}
