package io.keel.chaos.checker;

import java.util.List;

/**
 * A whole history's linearizability result: the combined verdict and each key's result.
 *
 * @param verdict INVALID if any key is, else UNKNOWN if any key is, else VALID
 * @param keys per-key results, sorted by key
 * @param operationsChecked ok and info operations searched
 * @param elapsedMs checker wall time
 */
public record CheckResult(Verdict verdict, List<KeyResult> keys, int operationsChecked, long elapsedMs) {
  public CheckResult {
    keys = List.copyOf(keys);
  }

  public List<KeyResult> invalidKeys() {
    return keys.stream().filter(k -> k.verdict() == Verdict.INVALID).toList();
  }

  /** Number of keys found non-linearizable (the run's anomaly count). */
  public int anomalies() {
    return invalidKeys().size();
  }
}
