package io.keel.chaos.checker;

/**
 * Bounds on one linearizability search: steps, memo entries and a wall-clock deadline. A search that runs
 * out answers {@link Verdict#UNKNOWN} rather than running forever.
 */
public record Budget(long maxSteps, int maxMemoEntries, long deadlineNanos) {
  public Budget {
    if (maxSteps <= 0 || maxMemoEntries <= 0) {
      throw new IllegalArgumentException("budget bounds must be positive");
    }
  }

  /** A budget ending {@code timeoutMs} from now. */
  public static Budget of(long maxSteps, int maxMemoEntries, long timeoutMs) {
    return new Budget(maxSteps, maxMemoEntries, System.nanoTime() + timeoutMs * 1_000_000L);
  }

  /** The default: 50 M steps, 2 M memo entries, 60 s. */
  public static Budget standard() {
    return of(50_000_000L, 2_000_000, 60_000);
  }

  boolean expired() {
    return System.nanoTime() - deadlineNanos > 0;
  }
}
