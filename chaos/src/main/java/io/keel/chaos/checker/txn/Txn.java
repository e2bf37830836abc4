package io.keel.chaos.checker.txn;

import io.keel.chaos.history.Op;
import java.util.List;

/**
 * A transaction's invocation paired with its completion: the unit the checker orders.
 *
 * @param id dense index in the history's invocation order
 * @param process client process
 * @param invokeIndex position of the invocation event
 * @param completeIndex position of the completion, or {@link #NEVER} (info: it may take effect at any later time)
 * @param outcome OK, FAIL or INFO
 * @param ops the micro-ops: with read results when OK
 */
public record Txn(int id, int process, int invokeIndex, int completeIndex, Op.Type outcome, List<MicroOp> ops) {
  /** Completion position of a txn whose outcome is unknown. */
  public static final int NEVER = Integer.MAX_VALUE;

  public Txn {
    ops = List.copyOf(ops);
    if (outcome == Op.Type.INVOKE) {
      throw new IllegalArgumentException("outcome cannot be invoke");
    }
  }

  public String describe() {
    return "T" + id + " p" + process + " " + outcome.name().toLowerCase() + " " + ops + " [" + invokeIndex + ", "
        + (completeIndex == NEVER ? "∞" : completeIndex) + "]";
  }
}
