package dev.etagguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.Validators;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.ResourceKey;
import dev.etagguard.spi.ValidatorStore;
import dev.etagguard.spi.WriteSequencer;
import dev.etagguard.support.Builtins;
import dev.etagguard.testing.ScriptedHost;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A fenced write whose permit brings its key's store entry ({@link WriteSequencer.Permit#storeEntry()}):
 * the engine takes what the grant read instead of reading its store, and commits through the
 * entry, which releases the permit; an entry of another store than the engine's is ignored.
 */
class FencedStoreEntryTest {

  private static final ResourceKey KEY = new ResourceKey("/r/1");
  private static final Validators V1 = Validators.of(EntityTag.strong("v1"), null);
  private static final Validators V2 = Validators.of(EntityTag.strong("v2"), null);

  /** The engine's store, counting the reads outside compare-and-set. */
  private final CountingStore engineStore = new CountingStore();

  @Test
  void whatTheGrantReadStandsForTheReadAndTheCommitReleasesThePermit() {
    engineStore.inner.put(KEY, V1);
    FencedPermit permit = new FencedPermit(engineStore, V1);
    ScriptedHost host = write(permit);

    assertThat(host.status()).isEqualTo(204);
    assertThat(engineStore.reads).as("reads of the engine's store").hasValue(0);
    assertThat(permit.entryCommits).hasValue(1);
    assertThat(permit.releasedByCommit).isTrue();
    assertThat(permit.releases).as("the release after the commit's").hasValue(1);
    assertThat(engineStore.inner.get(KEY)).isEqualTo(V2);
  }

  @Test
  void anEntryOfAnotherStoreIsIgnored() {
    engineStore.inner.put(KEY, V1);
    ValidatorStore other = Builtins.caffeineStore(10);
    Validators stale = Validators.of(EntityTag.strong("v0"), null);
    other.put(KEY, stale);
    FencedPermit permit = new FencedPermit(other, stale);
    ScriptedHost host = write(permit);

    assertThat(host.status()).as("the precondition held on the engine's store").isEqualTo(204);
    assertThat(engineStore.reads).hasValue(1);
    assertThat(permit.entryCommits).hasValue(0);
    assertThat(permit.releasedByCommit).isFalse();
    assertThat(permit.releases).hasValue(1);
    assertThat(engineStore.inner.get(KEY)).isEqualTo(V2);
    assertThat(other.get(KEY)).isEqualTo(stale);
  }

  /** A store decorating the shared one (metrics, say) keeps the entry in use. */
  @Test
  void anEntryOfTheStoreTheEnginesDecoratesIsUsed() {
    engineStore.inner.put(KEY, V1);
    FencedPermit permit = new FencedPermit(engineStore.inner, V1);
    ScriptedHost host = write(permit);

    assertThat(host.status()).isEqualTo(204);
    assertThat(engineStore.reads).as("reads of the engine's store").hasValue(0);
    assertThat(permit.entryCommits).hasValue(1);
    assertThat(permit.releasedByCommit).isTrue();
    assertThat(engineStore.inner.get(KEY)).isEqualTo(V2);
  }

  /** A PUT with {@code If-Match: "v1"} under {@code permit}, whose handler answers 204 with ETag "v2". */
  private ScriptedHost write(FencedPermit permit) {
    GuardEngine engine = GuardEngine.builder(GuardSettings.builder().guardedPaths("/r/*").build()).store(engineStore)
        .sequencer(new WriteSequencer() {
          @Override
          public CompletableFuture<Permit> acquire(ResourceKey key, Duration maxWait) {
            return CompletableFuture.completedFuture(permit);
          }
        }).build();
    Exchange exchange = java.util.Objects.requireNonNull(
        Exchange.admit(engine, GuardListenerTest.request("PUT", "/r/1", Map.of("If-Match", "\"v1\""))));
    return new ScriptedHost("PUT", method -> "GET".equals(method) ? ScriptedHost.Reply.of(200, "\"v1\"")
        : ScriptedHost.Reply.of(204, "\"v2\"")).run(exchange);
  }

  /** A store whose reads outside compare-and-set are counted. */
  private static final class CountingStore implements ValidatorStore {
    final ValidatorStore inner = Builtins.caffeineStore(10);
    final AtomicInteger reads = new AtomicInteger();

    @Override
    public @Nullable Validators get(ResourceKey key) {
      reads.incrementAndGet();
      return inner.get(key);
    }

    @Override
    public void put(ResourceKey key, Validators validators) {
      inner.put(key, validators);
    }

    @Override
    public void invalidate(ResourceKey key) {
      inner.invalidate(key);
    }

    @Override
    public boolean compareAndSet(ResourceKey key, @Nullable Validators expected, @Nullable Validators next) {
      return inner.compareAndSet(key, expected, next);
    }

    @Override
    public ValidatorStore decorated() {
      return inner;
    }
  }

  /** A fenced permit with a store entry that read {@code found} at its grant. */
  private static final class FencedPermit implements WriteSequencer.Permit, WriteSequencer.StoreEntry {
    private final ValidatorStore store;
    private final Validators found;
    final AtomicInteger entryCommits = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    volatile boolean releasedByCommit;

    FencedPermit(ValidatorStore store, Validators found) {
      this.store = store;
      this.found = found;
    }

    @Override
    public ResourceKey key() {
      return KEY;
    }

    @Override
    public void release() {
      releases.incrementAndGet();
    }

    @Override
    public OptionalLong fencingToken() {
      return OptionalLong.of(7);
    }

    @Override
    public WriteSequencer.StoreEntry storeEntry() {
      return this;
    }

    @Override
    public ValidatorStore store() {
      return store;
    }

    @Override
    public Validators found() {
      return found;
    }

    @Override
    public boolean compareAndSetAndRelease(@Nullable Validators expected, @Nullable Validators next) {
      entryCommits.incrementAndGet();
      boolean done = store.compareAndSet(KEY, expected, next);
      releasedByCommit |= done;
      return done;
    }
  }
}
