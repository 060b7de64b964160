package dev.etagguard.testing;

import java.util.HashSet;
import java.util.Set;

/** Threads of the JVM, for tests that check that no thread outlives what started it. */
public final class Threads {

  private Threads() {
  }

  /** The live threads named {@code name}. */
  public static Set<Thread> alive(String name) {
    Set<Thread> found = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals(name) && t.isAlive()) {
        found.add(t);
      }
    }
    return found;
  }
}
