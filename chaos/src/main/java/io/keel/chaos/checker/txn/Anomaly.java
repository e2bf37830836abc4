package io.keel.chaos.checker.txn;

import java.util.List;

/**
 * One anomaly found in a list-append history.
 *
 * @param type e.g. G0, G1c, G-single, G2 (each optionally "-realtime"), G1a, G1b, garbage-read,
 *     duplicate-elements, incompatible-order, internal, lost-append
 * @param explanation what was seen, in words
 * @param txns the transactions involved (for a cycle: in cycle order)
 */
public record Anomaly(String type, String explanation, List<Txn> txns) {
  public Anomaly {
    txns = List.copyOf(txns);
  }

  public String describe() {
    StringBuilder b = new StringBuilder(type).append(": ").append(explanation);
    for (Txn t : txns) {
      b.append("\n    ").append(t.describe());
    }
    return b.toString();
  }
}
