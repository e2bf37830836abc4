package io.keel.chaos.workload;

import io.keel.chaos.history.Op;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A workload's outcome counters, and what a client does after each outcome: an unknown outcome retires the
 * process (its operation may still take effect, so a new process id takes over the thread) and backs off
 * {@value #BACKOFF_UNKNOWN_MS} ms, a failure backs off {@value #BACKOFF_FAIL_MS} ms (do not spin against a member
 * that is down).
 */
public final class Tally {
  static final long BACKOFF_UNKNOWN_MS = 200;
  static final long BACKOFF_FAIL_MS = 50;

  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong unknown = new AtomicLong();

  /**
   * Counts outcome {@code t} of {@code process}'s operation; returns the process id to use next.
   *
   * @param stride the number of client threads (process ids of one thread differ by it)
   * @param backOff whether to sleep after a failure or unknown outcome
   */
  public int settle(Op.Type t, int process, int stride, boolean backOff) {
    switch (t) {
      case OK -> {
        ok.incrementAndGet();
        return process;
      }
      case INFO -> {
        unknown.incrementAndGet();
        if (backOff) {
          Outcomes.sleepQuietly(BACKOFF_UNKNOWN_MS);
        }
        return process + stride;
      }
      case FAIL -> {
        failed.incrementAndGet();
        if (backOff) {
          Outcomes.sleepQuietly(BACKOFF_FAIL_MS);
        }
        return process;
      }
      default -> throw new IllegalArgumentException("not an outcome: " + t);
    }
  }

  public long ok() {
    return ok.get();
  }

  public long failed() {
    return failed.get();
  }

  public long unknown() {
    return unknown.get();
  }

  public long total() {
    return ok.get() + failed.get() + unknown.get();
  }

  /** "n (ok a, unknown b)" for reports. */
  public String describe() {
    return total() + " (ok " + ok() + ", failed " + failed() + ", unknown " + unknown() + ")";
  }
}
