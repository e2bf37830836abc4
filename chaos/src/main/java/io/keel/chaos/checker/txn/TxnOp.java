package io.keel.chaos.checker.txn;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.keel.chaos.history.Op;
import java.util.List;
import java.util.Objects;

/**
 * One event of a list-append history, the transactional sibling of {@link Op}: same process / type (invoke, ok,
 * fail, info) / time conventions, with the transaction's micro-ops in place of a single key and value. An ok
 * completion carries the micro-ops with their read results; fail and info completions repeat the invoked ones.
 *
 * @param process client process id
 * @param type invoke, ok, fail or info
 * @param txn the micro-ops, in execution order
 * @param timeNanos monotonic time relative to the run's start
 * @param error why the txn failed or is unknown, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TxnOp(int process, Op.Type type, List<MicroOp> txn, long timeNanos, String error) {
  /** Bound on a transaction's micro-ops. */
  public static final int MAX_MICRO_OPS = 1024;

  public TxnOp {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(txn, "txn");
    if (txn.isEmpty() || txn.size() > MAX_MICRO_OPS) {
      throw new IllegalArgumentException("a txn has 1.." + MAX_MICRO_OPS + " micro-ops, got " + txn.size());
    }
    txn = List.copyOf(txn);
  }

  public static TxnOp invoke(int process, List<MicroOp> txn) {
    return new TxnOp(process, Op.Type.INVOKE, txn, 0, null);
  }

  /** A completion of this invocation; {@code result} is the micro-ops with reads filled in (ok only). */
  public TxnOp complete(Op.Type t, List<MicroOp> result, String why) {
    if (type != Op.Type.INVOKE || t == Op.Type.INVOKE) {
      throw new IllegalStateException("only an invocation can be completed, by a non-invocation: " + t);
    }
    List<MicroOp> ops = t == Op.Type.OK ? result : txn;
    if (ops.size() != txn.size()) {
      throw new IllegalArgumentException("completion has " + ops.size() + " micro-ops, invocation " + txn.size());
    }
    return new TxnOp(process, t, ops, 0, why);
  }

  /** This event with another time stamp. */
  public TxnOp at(long nanos) {
    return new TxnOp(process, type, txn, nanos, error);
  }
}
