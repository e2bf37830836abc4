package io.keel.bench.load;

/**
 * One kind of request a {@link LoadRunner} issues. {@link #issue} must start the request without blocking
 * and call {@code done} exactly once when it finishes (with null on success or the failure).
 */
@FunctionalInterface
public interface AsyncOperation {

  /** Callback for the end of one request. */
  @FunctionalInterface
  interface Completion {
    void done(Throwable errorOrNull);
  }

  /**
   * Starts request number {@code sequence} (0-based, unique per run) on behalf of client {@code clientIndex}.
   */
  void issue(int clientIndex, long sequence, Completion done);
}
