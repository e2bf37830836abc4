package io.keel.chaos.checker;

import io.keel.chaos.history.Operation;

/**
 * A sequential specification for the linearizability search. States are encoded as {@code long}s so that the
 * search can memoize (linearized set, state) pairs cheaply.
 */
public interface Model {
  /** Result of {@link #step} when the operation is not allowed in that state. */
  long ILLEGAL = Long.MIN_VALUE + 1;

  /** The initial state. */
  long initial();

  /**
   * The state after {@code op} (whose completion is ok or info) in {@code state}, or {@link #ILLEGAL}.
   * For an info op the result is unknown, so only its effect counts.
   */
  long step(long state, Operation op);

  /** A state as text, for reports. */
  String describe(long state);
}
