package dev.etagguard;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import dev.etagguard.settings.GuardSettings;
import dev.etagguard.spi.SharedStore;

/**
 * Finds the {@link SharedStore} that the option {@code sharedStore} names, through
 * {@link ServiceLoader} on the class loader that loaded filter-core (a webapp's, or the server's
 * for the valve and the jetty-home module: where the cluster modules go beside it), and opens it.
 * Whatever is missing fails with a message naming it; nothing falls back to an instance guarding
 * alone.
 */
final class SharedStores {

  /** The stores of this project: the artifact to put on the class path for each. */
  private static final Map<String, String> MODULES = Map.of(
      "redis", "dev.etagguard:etag-guard-cluster-redis (with Redisson and its dependencies)",
      "postgres", "dev.etagguard:etag-guard-cluster-postgres (with the DataSource's JDBC driver)");

  private SharedStores() {
  }

  /**
   * Opens the store {@code settings} names.
   *
   * @throws IllegalArgumentException naming the missing module, the unknown value, or what the store refused
   */
  static SharedStore.Opened open(GuardSettings settings) {
    String name = settings.sharedStore();
    SharedStore store = find(name);
    try {
      return store.open(settings);
    } catch (LinkageError e) {
      throw new IllegalArgumentException("ETag Guard option 'sharedStore' is " + name + ", but a class it needs is "
          + "missing (" + e.getMessage() + "): put " + MODULES.getOrDefault(name, "the store's module")
          + " and its runtime dependencies on the class path", e);
    }
  }

  private static SharedStore find(String name) {
    List<String> found = new ArrayList<>();
    ServiceLoader<SharedStore> loader = ServiceLoader.load(SharedStore.class, SharedStore.class.getClassLoader());
    var it = loader.iterator();
    while (true) {
      SharedStore store;
      try {
        if (!it.hasNext()) {
          break;
        }
        store = it.next();
      } catch (ServiceConfigurationError e) {
        throw new IllegalArgumentException("ETag Guard option 'sharedStore' is " + name + ", but a shared store on "
            + "the class path cannot be loaded (" + e.getMessage() + "): put its module's runtime dependencies on "
            + "the class path", e);
      }
      if (store.name().equals(name)) {
        return store;
      }
      found.add(store.name());
    }
    String module = MODULES.get(name);
    if (module != null) {
      throw new IllegalArgumentException("ETag Guard option 'sharedStore' is " + name + ", but its module is not on "
          + "the class path: add " + module + " beside etag-guard-filter-core. Without it every instance would "
          + "guard alone");
    }
    List<String> expected = new ArrayList<>(List.of(GuardSettings.NO_SHARED_STORE, "redis", "postgres"));
    found.stream().filter(n -> !expected.contains(n)).forEach(expected::add);
    throw new IllegalArgumentException("Invalid value '" + name + "' for ETag Guard option 'sharedStore': expected "
        + String.join(", ", expected.subList(0, expected.size() - 1)) + " or " + expected.get(expected.size() - 1));
  }
}
