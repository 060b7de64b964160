package dev.etagguard.reliability;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A linearizability checker for one register with compare-and-set, as HTTP exposes a resource
 * behind the guard: a GET reads the value (or finds it absent, 404), a {@code PUT} with
 * {@code If-Match} replaces it only if it is still the value whose ETag was sent (else 412), a
 * {@code PUT} with {@code If-None-Match: *} creates it only if absent, a {@code DELETE} with
 * {@code If-Match} removes it only if it is still that value, and an unconditional {@code PUT}
 * replaces it. Values are small integers (the test maps each unique written body, and so each
 * ETag, to one), {@link #ABSENT} is the absent resource.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization as in Knossos and Porcupine: the
 * history becomes a list of invocation and completion events in time order; the search
 * linearizes, one at a time, any operation whose invocation comes before the first pending
 * completion, and backtracks when a completion is reached whose operation could not be placed.
 * A configuration (the set of operations linearized, the register's value) is explored at most
 * once, which keeps the search polynomial in practice for a register.
 *
 * <p>An operation whose outcome is unknown (an I/O error, a 503) completes at infinity and may
 * take effect (when its condition holds) or not: both are tried. A read with an unknown outcome
 * says nothing and is dropped.
 */
final class RegisterChecker {

  /** The value of an absent resource. */
  static final int ABSENT = -1;

  /** What an operation does. */
  enum Kind {
    /** GET: {@link Op#value()} is the value read, or {@link #ABSENT} for 404. */
    READ,
    /** PUT with If-Match: replaces {@link Op#expect()} by {@link Op#value()}. */
    CAS,
    /** PUT with If-None-Match: *: creates {@link Op#value()} if absent. */
    CREATE,
    /** DELETE with If-Match: removes {@link Op#expect()}. */
    DELETE,
    /** Unconditional PUT: sets {@link Op#value()}. */
    WRITE
  }

  /** How an operation ended, as its client saw it. */
  enum Result {
    /** Applied (2xx; for a read, the value was returned). */
    OK,
    /** Refused because its condition did not hold (412). */
    FAILED,
    /** Not known: it may or may not have taken effect (I/O error, 5xx). */
    UNKNOWN
  }

  /**
   * One operation of a history.
   *
   * @param client the client that ran it (operations of one client never overlap)
   * @param kind what it does
   * @param expect the value whose ETag was sent in If-Match (CAS, DELETE), else unused
   * @param value the value written (CAS, CREATE, WRITE) or read (READ)
   * @param result how it ended
   * @param invoked {@code System.nanoTime()} before the request was sent
   * @param completed {@code System.nanoTime()} after the response was read
   */
  record Op(int client, Kind kind, int expect, int value, Result result, long invoked, long completed) {
    @Override
    public String toString() {
      String what = switch (kind) {
        case READ -> "read " + name(value);
        case CAS -> "cas " + name(expect) + "->" + name(value);
        case CREATE -> "create " + name(value);
        case DELETE -> "delete " + name(expect);
        case WRITE -> "write " + name(value);
      };
      return "client " + client + " " + what + " " + result + " [" + invoked + ", " + completed + "]";
    }

    private static String name(int v) {
      return v == ABSENT ? "absent" : Integer.toString(v);
    }
  }

  /**
   * The verdict on a history.
   *
   * @param linearizable whether some linearization exists
   * @param operations the operations checked (reads with an unknown outcome excluded)
   * @param configurations the configurations the search explored
   * @param detail for a history that is not linearizable: the operation the search could not place
   */
  record Verdict(boolean linearizable, int operations, long configurations, String detail) {
  }

  /** Thrown when the search exceeds its budget of configurations (it never does for a sane history). */
  static final class TooHardException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooHardException(String message) {
      super(message);
    }
  }

  private RegisterChecker() {
  }

  /** Checks a history of one register that starts at {@code initial}; the search explores at most 20M configurations. */
  static Verdict check(List<Op> history, int initial) {
    return check(history, initial, 20_000_000);
  }

  /** Checks a history, exploring at most {@code budget} configurations. */
  static Verdict check(List<Op> history, int initial, long budget) {
    List<Op> ops = new ArrayList<>();
    for (Op op : history) {
      if (op.kind() == Kind.READ && op.result() != Result.OK) {
        continue; // a read that returned nothing constrains nothing
      }
      if (op.completed() < op.invoked()) {
        throw new IllegalArgumentException("completed before invoked: " + op);
      }
      ops.add(op);
    }
    int n = ops.size();
    // Events in time order; at equal times invocations first (the more permissive reading).
    List<Node> events = new ArrayList<>(2 * n);
    for (int i = 0; i < n; i++) {
      Op op = ops.get(i);
      Node call = new Node(i, true, op.invoked());
      Node ret = new Node(i, false, op.result() == Result.UNKNOWN ? Long.MAX_VALUE : op.completed());
      call.match = ret;
      events.add(call);
      events.add(ret);
    }
    events.sort(Comparator.comparingLong((Node e) -> e.time).thenComparing(e -> !e.call));
    Node head = new Node(-1, false, Long.MIN_VALUE);
    Node prev = head;
    for (Node e : events) {
      prev.next = e;
      e.prev = prev;
      prev = e;
    }

    // A configuration is identified by its value and a 128-bit hash of the set of operations
    // placed (two random words per operation, XORed): a collision, which could hide a
    // linearization, has a probability of about 2^-128 per pair of configurations.
    Random random = new Random(n * 31L + initial);
    long[] hashA = new long[n];
    long[] hashB = new long[n];
    for (int i = 0; i < n; i++) {
      hashA[i] = random.nextLong();
      hashB[i] = random.nextLong();
    }
    long setA = 0;
    long setB = 0;
    Set<Config> seen = new HashSet<>();
    Deque<Frame> stack = new ArrayDeque<>();
    int state = initial;
    long explored = 0;
    int deepest = -1;
    Op blocking = null;
    Node entry = null; // null: at a fresh configuration
    int firstAlternative = 0;
    while (head.next != null) {
      boolean backtrack = false;
      if (entry == null) {
        // An operation that leaves the value as it is and is possible now (a read of the current
        // value, a refused write whose condition does not hold) may always be placed now: every
        // operation that must precede it is placed already (its invocation comes before the first
        // pending completion), and placing it changes nothing for the others. So it is placed
        // before any choice is tried, and never tried later: if the rest fails, so does this.
        Node forced = null;
        for (Node e = head.next; e != null && e.call; e = e.next) {
          int[] next = successors(ops.get(e.op), state);
          if (next.length == 1 && next[0] == state) {
            forced = e;
            break;
          }
        }
        if (forced != null) {
          if (seen.add(new Config(setA ^ hashA[forced.op], setB ^ hashB[forced.op], state))) {
            if (++explored > budget) {
              throw new TooHardException("more than " + budget + " configurations for " + n + " operations");
            }
            stack.push(new Frame(forced, state, 0, true));
            setA ^= hashA[forced.op];
            setB ^= hashB[forced.op];
            lift(forced);
            continue;
          }
          backtrack = true; // that configuration failed before
        } else {
          entry = head.next;
          firstAlternative = 0;
        }
      }
      if (!backtrack && entry.call) {
        int[] next = successors(ops.get(entry.op), state);
        boolean moved = false;
        for (int alt = firstAlternative; alt < next.length && !moved; alt++) {
          if (seen.add(new Config(setA ^ hashA[entry.op], setB ^ hashB[entry.op], next[alt]))) {
            if (++explored > budget) {
              throw new TooHardException("more than " + budget + " configurations for " + n + " operations");
            }
            stack.push(new Frame(entry, state, alt, false));
            state = next[alt];
            setA ^= hashA[entry.op];
            setB ^= hashB[entry.op];
            lift(entry);
            entry = null;
            moved = true;
          }
        }
        if (!moved) {
          entry = entry.next;
          firstAlternative = 0;
        }
        continue;
      }
      if (!backtrack) {
        // The first pending completion: its operation had to be placed before it.
        if (stack.size() > deepest) {
          deepest = stack.size();
          blocking = ops.get(entry.op);
        }
      }
      // Undo the last free choice (forced placements after it fail with it).
      Frame f;
      do {
        if (stack.isEmpty()) {
          return new Verdict(false, n, explored, "no linearization: at most " + deepest + " of " + n
              + " operations could be placed; the search could not place " + blocking);
        }
        f = stack.pop();
        state = f.state;
        setA ^= hashA[f.call.op];
        setB ^= hashB[f.call.op];
        unlift(f.call);
      } while (f.forced);
      entry = f.call;
      firstAlternative = f.alternative + 1;
    }
    return new Verdict(true, n, explored, "");
  }

  /**
   * The values the register may hold after {@code op} when it held {@code state}; empty when
   * the operation's outcome is impossible in that state.
   */
  static int[] successors(Op op, int state) {
    boolean holds = switch (op.kind()) {
      case READ -> state == op.value();
      case CAS, DELETE -> state != ABSENT && state == op.expect();
      case CREATE -> state == ABSENT;
      case WRITE -> true;
    };
    int after = switch (op.kind()) {
      case READ -> state;
      case CAS, CREATE, WRITE -> op.value();
      case DELETE -> ABSENT;
    };
    return switch (op.result()) {
      case OK -> holds ? new int[] {after} : new int[0];
      case FAILED -> op.kind() == Kind.READ || op.kind() == Kind.WRITE || holds ? new int[0] : new int[] {state};
      case UNKNOWN -> holds && after != state ? new int[] {after, state} : new int[] {state};
    };
  }

  private static void lift(Node call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Node ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  private static void unlift(Node call) {
    Node ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }

  /** An invocation or completion event in the doubly linked list the search walks. */
  private static final class Node {
    final int op;
    final boolean call;
    final long time;
    Node match;
    Node prev;
    Node next;

    Node(int op, boolean call, long time) {
      this.op = op;
      this.call = call;
      this.time = time;
    }
  }

  /**
   * A placement the search made: {@code call}'s operation (its alternative {@code alternative})
   * in {@code state}; {@code forced} when there was no choice worth undoing.
   */
  private record Frame(Node call, int state, int alternative, boolean forced) {
  }

  /** A configuration: the operations linearized so far (as a 128-bit hash) and the register's value. */
  private record Config(long setA, long setB, int state) {
  }
}
