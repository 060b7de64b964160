package dev.etagguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.List;
import java.util.Map;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.support.Builtins;
import dev.etagguard.testing.SampleSharedStore;

import org.junit.jupiter.api.Test;

/**
 * The option {@code sharedStore}: an engine built from settings opens the store it names through
 * {@link java.util.ServiceLoader} and closes it, and a store that is not there fails the build
 * with a message naming what is missing. (The cluster modules' tests run the real stores through
 * every route.)
 */
class SharedStoreTest {

  @Test
  void anEngineOpensTheNamedStoreWithItsSettingsAndClosesIt() {
    GuardSettings settings = GuardSettings.fromOptions(Map.of("sharedStore", "sample", "leaseTime", "7s"));
    int before = SampleSharedStore.openings().size();
    GuardEngine engine = GuardEngine.create(settings);
    List<SampleSharedStore.Opening> openings = SampleSharedStore.openings();
    assertThat(openings).hasSize(before + 1);
    SampleSharedStore.Opening opening = openings.get(openings.size() - 1);
    assertThat(opening.settings()).isSameAs(settings);
    assertThat(opening.closed()).isFalse();
    engine.close();
    assertThat(opening.closed()).isTrue();
  }

  @Test
  void noneOpensNothing() {
    int before = SampleSharedStore.openings().size();
    GuardEngine.create(GuardSettings.DEFAULTS).close();
    assertThat(SampleSharedStore.openings()).hasSize(before);
  }

  @Test
  void aKnownStoreWithoutItsModuleFailsNamingTheArtifact() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> GuardEngine.create(GuardSettings.fromOptions(Map.of("sharedStore", "redis"))))
        .withMessageContaining("'sharedStore' is redis")
        .withMessageContaining("dev.etagguard:etag-guard-cluster-redis")
        .withMessageContaining("every instance would guard alone");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> GuardEngine.create(GuardSettings.fromOptions(Map.of("sharedStore", "postgres"))))
        .withMessageContaining("dev.etagguard:etag-guard-cluster-postgres");
  }

  @Test
  void anUnknownStoreFailsListingTheKnownOnes() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> GuardEngine.create(GuardSettings.fromOptions(Map.of("sharedStore", "memcached"))))
        .withMessage("Invalid value 'memcached' for ETag Guard option 'sharedStore': expected none, redis, postgres "
            + "or sample");
  }

  @Test
  void aStoreOrSequencerGivenAloneBesideASharedStoreFails() {
    GuardSettings settings = GuardSettings.fromOptions(Map.of("sharedStore", "sample"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> GuardEngine.builder(settings).store(Builtins.caffeineStore(10)).build())
        .withMessageContaining("only a store was given");
    int before = SampleSharedStore.openings().size();
    GuardEngine given = GuardEngine.builder(settings).store(Builtins.caffeineStore(10))
        .sequencer(Builtins.localSequencer(1)).build();
    assertThat(SampleSharedStore.openings()).as("a store and sequencer given win").hasSize(before);
    given.close();
  }
}
