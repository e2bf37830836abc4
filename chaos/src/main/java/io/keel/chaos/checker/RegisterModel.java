package io.keel.chaos.checker;

import io.keel.chaos.history.Op;
import io.keel.chaos.history.Operation;

/**
 * A read/write/compare-and-set register whose key starts absent. {@link #ANY} is an unknown initial state
 * (used when checking a window cut out of a history): the first read or cas fixes it.
 */
public final class RegisterModel implements Model {
  /** The key does not exist. */
  public static final long ABSENT = -1;
  /** Unknown state: anything may be observed next. */
  public static final long ANY = Long.MIN_VALUE;

  private final long initial;

  private RegisterModel(long initial) {
    this.initial = initial;
  }

  /** A register that starts absent. */
  public static RegisterModel absent() {
    return new RegisterModel(ABSENT);
  }

  /** A register whose initial state is unknown. */
  public static RegisterModel unknownStart() {
    return new RegisterModel(ANY);
  }

  @Override
  public long initial() {
    return initial;
  }

  @Override
  public long step(long state, Operation o) {
    Op inv = o.invoke();
    switch (inv.f()) {
      case "read" -> {
        if (o.outcome() != Op.Type.OK) {
          return state; // an unknown read has no effect and tells nothing
        }
        long seen = o.completion().value() == null ? ABSENT : o.completion().value();
        return state == ANY || state == seen ? seen : ILLEGAL;
      }
      case "write" -> {
        return value(inv.value(), inv);
      }
      case "cas" -> {
        long expected = value(inv.expected(), inv);
        return state == ANY || state == expected ? value(inv.value(), inv) : ILLEGAL;
      }
      default -> throw new IllegalArgumentException("not a register operation: " + inv.describe());
    }
  }

  private static long value(Long v, Op inv) {
    if (v == null) {
      throw new IllegalArgumentException("register operation without a value: " + inv.describe());
    }
    return v;
  }

  @Override
  public String describe(long state) {
    return state == ANY ? "?" : state == ABSENT ? "nil" : Long.toString(state);
  }
}
