package io.keel.chaos.checker.txn;

import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds list-append histories by hand: invoke and complete txns per process, in the order called. */
final class HistoryBuilder {
  private final List<TxnOp> events = new ArrayList<>();
  private final Map<Integer, TxnOp> open = new HashMap<>();

  static MicroOp r(String k, long... seen) {
    List<Long> l = new ArrayList<>();
    for (long x : seen) {
      l.add(x);
    }
    return MicroOp.read(k, l);
  }

  static MicroOp a(String k, long x) {
    return MicroOp.append(k, x);
  }

  /** Invokes txn {@code ops} on process p (reads' results are kept for the completion). */
  HistoryBuilder invoke(int p, MicroOp... ops) {
    TxnOp inv = new TxnOp(p, Op.Type.INVOKE, List.of(ops), 0, null);
    open.put(p, inv);
    List<MicroOp> bare = new ArrayList<>();
    for (MicroOp m : ops) {
      bare.add(m.isRead() ? MicroOp.read(m.key()) : m);
    }
    events.add(TxnOp.invoke(p, bare));
    return this;
  }

  HistoryBuilder ok(int p) {
    return done(p, Op.Type.OK);
  }

  HistoryBuilder fail(int p) {
    return done(p, Op.Type.FAIL);
  }

  HistoryBuilder info(int p) {
    return done(p, Op.Type.INFO);
  }

  private HistoryBuilder done(int p, Op.Type t) {
    TxnOp inv = open.remove(p);
    List<MicroOp> bare = new ArrayList<>();
    for (MicroOp m : inv.txn()) {
      bare.add(m.isRead() ? MicroOp.read(m.key()) : m);
    }
    events.add(new TxnOp(p, t, t == Op.Type.OK ? inv.txn() : bare, 0, t == Op.Type.OK ? null : "test"));
    return this;
  }

  /** invoke then ok at once: a txn with no concurrency. */
  HistoryBuilder txn(int p, MicroOp... ops) {
    return invoke(p, ops).ok(p);
  }

  TxnHistory build() {
    return new TxnHistory(events);
  }
}
