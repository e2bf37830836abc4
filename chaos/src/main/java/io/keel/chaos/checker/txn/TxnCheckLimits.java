package io.keel.chaos.checker.txn;

/**
 * Bounds on one list-append check: transactions, graph edges, reported anomalies and wall time. A check that
 * exceeds them answers UNKNOWN (unless it already found an anomaly) rather than running out of memory or time.
 */
public record TxnCheckLimits(int maxTxns, long maxEdges, int maxAnomalies, long timeoutMs) {
  public TxnCheckLimits {
    if (maxTxns <= 0 || maxEdges <= 0 || maxAnomalies <= 0 || timeoutMs <= 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  /** 2 M txns, 50 M edges, 100 anomalies, 60 s. */
  public static TxnCheckLimits standard() {
    return new TxnCheckLimits(2_000_000, 50_000_000L, 100, 60_000);
  }
}
