package io.keel.watch.workqueue;

/**
 * A monotonic nanosecond clock. Production code uses {@link #system()}; tests inject a manual ticker so
 * delays and backoff are checked deterministically instead of by sleeping.
 */
@FunctionalInterface
public interface Ticker {
  /** Monotonic time in nanoseconds; only differences are meaningful. */
  long nanoTime();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
