package io.keel.chaos.checker.txn;

import io.keel.chaos.checker.Verdict;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A list-append history's strict-serializability result.
 *
 * @param verdict INVALID if any anomaly was found; UNKNOWN if the limits ran out first; else VALID
 * @param anomalies what was found (bounded by {@link TxnCheckLimits#maxAnomalies()})
 * @param txnsChecked transactions in the dependency graph
 * @param elapsedMs checker wall time
 * @param unknownReason why the verdict is UNKNOWN, else null
 */
public record TxnCheckResult(Verdict verdict, List<Anomaly> anomalies, int txnsChecked, long elapsedMs,
    String unknownReason) {
  public TxnCheckResult {
    anomalies = List.copyOf(anomalies);
  }

  /** The distinct anomaly types found. */
  public Set<String> types() {
    Set<String> s = new TreeSet<>();
    anomalies.forEach(a -> s.add(a.type()));
    return s;
  }
}
