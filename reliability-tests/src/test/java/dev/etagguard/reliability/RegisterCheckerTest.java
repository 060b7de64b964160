package dev.etagguard.reliability;

import static dev.etagguard.reliability.RegisterChecker.ABSENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import dev.etagguard.reliability.RegisterChecker.Kind;
import dev.etagguard.reliability.RegisterChecker.Op;
import dev.etagguard.reliability.RegisterChecker.Result;
import dev.etagguard.reliability.RegisterChecker.Verdict;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The checker itself, on hand-made histories: it accepts linearizable ones and refuses the others. */
class RegisterCheckerTest {

  private static Op read(int client, int value, long from, long to) {
    return new Op(client, Kind.READ, 0, value, Result.OK, from, to);
  }

  private static Op cas(int client, int expect, int value, Result result, long from, long to) {
    return new Op(client, Kind.CAS, expect, value, result, from, to);
  }

  private static Op create(int client, int value, Result result, long from, long to) {
    return new Op(client, Kind.CREATE, 0, value, result, from, to);
  }

  private static Op delete(int client, int expect, Result result, long from, long to) {
    return new Op(client, Kind.DELETE, expect, 0, result, from, to);
  }

  private static Op write(int client, int value, Result result, long from, long to) {
    return new Op(client, Kind.WRITE, 0, value, result, from, to);
  }

  private static boolean ok(Op... history) {
    return RegisterChecker.check(List.of(history), ABSENT).linearizable();
  }

  @Test
  void sequentialHistoryOfEveryOperation() {
    assertThat(ok(
        read(0, ABSENT, 0, 1),
        create(0, 1, Result.OK, 2, 3),
        create(1, 9, Result.FAILED, 4, 5),
        read(1, 1, 6, 7),
        cas(0, 1, 2, Result.OK, 8, 9),
        cas(1, 1, 3, Result.FAILED, 10, 11),
        write(1, 4, Result.OK, 12, 13),
        delete(0, 2, Result.FAILED, 14, 15),
        delete(0, 4, Result.OK, 16, 17),
        read(1, ABSENT, 18, 19),
        cas(1, 4, 5, Result.FAILED, 20, 21))).isTrue();
  }

  @Test
  void concurrentCompareAndSetOneWinsTheOtherFails() {
    // Both read 1, both try 1 -> x at once: one wins; a read overlapping both may see 1 or the winner.
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 1, 2, Result.FAILED, 10, 20),
        cas(1, 1, 3, Result.OK, 11, 19),
        read(2, 1, 12, 13),
        read(3, 3, 14, 30),
        read(2, 3, 21, 22))).isTrue();
  }

  @Test
  void aReadMayOverlapTheWriteItSees() {
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        read(1, 2, 5, 6),
        cas(0, 1, 2, Result.OK, 4, 10))).isTrue();
  }

  @Test
  void lostUpdateIsRefused() {
    // Two writers both based on value 1, both told they won: one update was lost.
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 1, 2, Result.OK, 10, 20),
        cas(1, 1, 3, Result.OK, 11, 21))).isFalse();
    // The same, one after the other.
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 1, 2, Result.OK, 10, 11),
        cas(1, 1, 3, Result.OK, 12, 13))).isFalse();
  }

  @Test
  void staleReadIsRefused() {
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 1, 2, Result.OK, 2, 3),
        read(1, 1, 4, 5))).isFalse();
  }

  @Test
  void readOfAValueBeforeItsWriteIsRefused() {
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        read(1, 2, 2, 3),
        cas(0, 1, 2, Result.OK, 4, 5))).isFalse();
  }

  @Test
  void readsThatDisagreeOnTheOrderAreRefused() {
    // Two writes overlap; one reader sees 2 then 3, another 3 then 2: no single order explains both.
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        write(0, 2, Result.OK, 10, 100),
        write(1, 3, Result.OK, 10, 100),
        read(2, 2, 20, 21),
        read(2, 3, 22, 23),
        read(3, 3, 24, 25),
        read(3, 2, 26, 27))).isFalse();
  }

  @Test
  void doubleCreateIsRefused() {
    assertThat(ok(
        create(0, 1, Result.OK, 0, 10),
        create(1, 2, Result.OK, 1, 11))).isFalse();
  }

  @Test
  void refusedWriteWhoseConditionHeldIsRefused() {
    // A 412 although nothing else could have changed the value: a false refusal is not linearizable either.
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(1, 1, 2, Result.FAILED, 2, 3))).isFalse();
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        delete(1, 1, Result.FAILED, 2, 3))).isFalse();
  }

  @Test
  void writeThroughAFalseConditionIsRefused() {
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        delete(0, 1, Result.OK, 2, 3),
        cas(1, 1, 2, Result.OK, 4, 5))).isFalse();
  }

  @Test
  void unknownOutcomeMayHaveHappenedOrNot() {
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 1, 2, Result.UNKNOWN, 2, 3),
        read(1, 2, 50, 51))).as("it happened, later than its client gave up").isTrue();
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 1, 2, Result.UNKNOWN, 2, 3),
        read(1, 1, 50, 51))).as("it did not happen").isTrue();
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 1, 2, Result.UNKNOWN, 2, 3),
        read(1, 2, 50, 51),
        read(1, 1, 52, 53))).as("not both").isFalse();
    assertThat(ok(
        create(0, 1, Result.OK, 0, 1),
        cas(0, 3, 2, Result.UNKNOWN, 2, 3),
        read(1, 2, 50, 51))).as("not when its condition never held").isFalse();
  }

  @Test
  void unknownReadsAreIgnored() {
    Verdict v = RegisterChecker.check(List.of(
        create(0, 1, Result.OK, 0, 1),
        new Op(1, Kind.READ, 0, 7, Result.UNKNOWN, 2, 3)), ABSENT);
    assertThat(v.linearizable()).isTrue();
    assertThat(v.operations()).isEqualTo(1);
  }

  /**
   * Random histories of a real atomic register, 32 clients: each operation takes effect at a
   * random instant inside its interval. The checker accepts every one, fast; after one read is
   * changed to a value the register never held at that time, or one refused compare-and-set is
   * told it won (a lost update), it refuses.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomAtomicHistories(long seed) {
    Random random = new Random(seed);
    List<Op> history = atomicHistory(random, 32, 3000);
    Verdict verdict = RegisterChecker.check(history, ABSENT, 5_000_000);
    assertThat(verdict.linearizable()).as(verdict.detail()).isTrue();
    assertThat(verdict.operations()).isEqualTo(history.size());

    // A lost update: a refused compare-and-set from a value another one replaced, now told it won.
    List<Op> lost = new ArrayList<>(history);
    java.util.Set<Integer> replaced = new java.util.HashSet<>();
    history.stream().filter(o -> o.kind() == Kind.CAS && o.result() == Result.OK).forEach(o -> replaced.add(o.expect()));
    int flip = -1;
    for (int i = 0; i < lost.size() && flip < 0; i++) {
      Op op = lost.get(i);
      if (op.kind() == Kind.CAS && op.result() == Result.FAILED && replaced.contains(op.expect())) {
        flip = i;
        lost.set(i, new Op(op.client(), Kind.CAS, op.expect(), op.value(), Result.OK, op.invoked(), op.completed()));
      }
    }
    assertThat(flip).as("a refused compare-and-set to flip").isNotNegative();
    assertThat(RegisterChecker.check(lost, ABSENT, 5_000_000).linearizable()).isFalse();

    // Corrupt one read late in the history: make it return a value written long before and overwritten since.
    List<Op> corrupted = new ArrayList<>(history);
    for (int i = corrupted.size() - 1; i > corrupted.size() / 2; i--) {
      Op op = corrupted.get(i);
      if (op.kind() == Kind.READ) {
        int old = firstWrittenValue(history);
        if (old != op.value() && overwrittenBefore(history, old, op.invoked())) {
          corrupted.set(i, new Op(op.client(), Kind.READ, 0, old, Result.OK, op.invoked(), op.completed()));
          assertThat(RegisterChecker.check(corrupted, ABSENT, 5_000_000).linearizable()).isFalse();
          return;
        }
      }
    }
    throw new AssertionError("no read to corrupt");
  }

  private static int firstWrittenValue(List<Op> history) {
    return history.stream().filter(o -> o.kind() == Kind.CREATE && o.result() == Result.OK)
        .min(Comparator.comparingLong(Op::completed)).orElseThrow().value();
  }

  /** Whether another successful write of a different value completed before {@code time}, after {@code value}'s. */
  private static boolean overwrittenBefore(List<Op> history, int value, long time) {
    long written = history.stream().filter(o -> o.kind() != Kind.READ && o.value() == value && o.result() == Result.OK)
        .mapToLong(Op::completed).min().orElseThrow();
    return history.stream().anyMatch(o -> o.result() == Result.OK && o.kind() != Kind.READ
        && o.invoked() > written && o.completed() < time && (o.kind() == Kind.DELETE || o.value() != value));
  }

  /**
   * A history of {@code count} operations by {@code clients} clients on an atomic register: each
   * client runs operations back to back with random durations; each takes effect at a random
   * instant within its interval, in order of those instants.
   */
  static List<Op> atomicHistory(Random random, int clients, int count) {
    record Planned(int client, Kind kind, int expect, int value, long invoked, long point, long completed) {
    }
    List<Planned> planned = new ArrayList<>();
    long[] clock = new long[clients];
    int nextValue = 0;
    for (int i = 0; i < count; i++) {
      int c = random.nextInt(clients);
      long invoked = clock[c] + random.nextInt(5);
      long completed = invoked + 1 + random.nextInt(60);
      long point = invoked + random.nextInt((int) (completed - invoked + 1));
      clock[c] = completed;
      int roll = random.nextInt(100);
      Kind kind = roll < 40 ? Kind.READ : roll < 80 ? Kind.CAS : roll < 88 ? Kind.CREATE : roll < 95 ? Kind.DELETE
          : Kind.WRITE;
      planned.add(new Planned(c, kind, 0, kind == Kind.READ || kind == Kind.DELETE ? 0 : nextValue++, invoked,
          point, completed));
    }
    // Decide each operation in linearization order; CAS and DELETE expect a recent value (often current).
    planned.sort(Comparator.comparingLong(Planned::point));
    List<Op> history = new ArrayList<>();
    List<Integer> recent = new ArrayList<>();
    int state = ABSENT;
    for (Planned p : planned) {
      int expect = recent.isEmpty() ? 0 : random.nextInt(3) == 0
          ? recent.get(random.nextInt(recent.size())) : state == ABSENT ? recent.get(recent.size() - 1) : state;
      switch (p.kind()) {
        case READ -> history.add(new Op(p.client(), Kind.READ, 0, state, Result.OK, p.invoked(), p.completed()));
        case CAS, DELETE -> {
          boolean holds = state != ABSENT && state == expect;
          history.add(new Op(p.client(), p.kind(), expect, p.value(), holds ? Result.OK : Result.FAILED,
              p.invoked(), p.completed()));
          if (holds) {
            state = p.kind() == Kind.CAS ? p.value() : ABSENT;
          }
        }
        case CREATE -> {
          boolean holds = state == ABSENT;
          history.add(new Op(p.client(), Kind.CREATE, 0, p.value(), holds ? Result.OK : Result.FAILED,
              p.invoked(), p.completed()));
          if (holds) {
            state = p.value();
          }
        }
        case WRITE -> {
          history.add(new Op(p.client(), Kind.WRITE, 0, p.value(), Result.OK, p.invoked(), p.completed()));
          state = p.value();
        }
      }
      if (state != ABSENT && (recent.isEmpty() || recent.get(recent.size() - 1) != state)) {
        recent.add(state);
      }
    }
    return history;
  }
}
