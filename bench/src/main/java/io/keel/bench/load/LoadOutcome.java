package io.keel.bench.load;

import io.keel.bench.report.LatencySummary;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a {@link LoadRunner} run measured.
 *
 * @param latencyNanos latencies of successful requests (from intended start when rate-limited)
 * @param errors failure message to count
 * @param issued requests started
 * @param completed requests that finished (success or failure)
 * @param wallNanos from the run's start until the last request finished
 * @param hitTimeLimit true if the run stopped on {@code maxSeconds} before issuing {@code total}
 * @param abandoned requests still in flight when the runner gave up waiting (should be 0)
 */
public record LoadOutcome(Histogram latencyNanos, Map<String, Long> errors, long issued, long completed,
    long wallNanos, boolean hitTimeLimit, long abandoned) {

  public LoadOutcome {
    errors = Map.copyOf(errors);
    if (completed > issued) {
      throw new IllegalStateException("completed " + completed + " > issued " + issued);
    }
  }

  public long successes() {
    return latencyNanos.getTotalCount();
  }

  public long failures() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  public LatencySummary summary() {
    return LatencySummary.of(latencyNanos, errors, wallNanos);
  }
}
