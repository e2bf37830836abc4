package io.keel.chaos.checker.txn;

import io.keel.chaos.history.History;
import io.keel.chaos.history.JsonLines;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Pairing;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A time-ordered list of {@link TxnOp} events, saved as JSON lines like {@link History}. {@link #txns()} pairs
 * invocations with completions under the same well-formedness rules (one txn in flight per process).
 */
public final class TxnHistory {
  private final List<TxnOp> events;

  public TxnHistory(List<TxnOp> events) {
    if (events.size() > History.MAX_EVENTS) {
      throw new IllegalArgumentException("history has " + events.size() + " events; at most " + History.MAX_EVENTS);
    }
    this.events = List.copyOf(events);
  }

  public List<TxnOp> events() {
    return events;
  }

  /**
   * Pairs each invocation with its completion; an invocation never completed counts as info.
   *
   * @throws IllegalArgumentException on a process invoking twice in flight, completing nothing, or an ok
   *     completion whose micro-ops do not match the invocation's
   */
  public List<Txn> txns() {
    Pairing.Pairs p = Pairing.pair(events, TxnOp::process, e -> e.type() == Op.Type.INVOKE, e -> false,
        TxnHistory::checkMatches);
    List<Txn> out = new ArrayList<>(p.invocations().size());
    for (int j = 0; j < p.invocations().size(); j++) {
      int inv = p.invocations().get(j);
      int done = p.completions().get(j);
      TxnOp invoke = events.get(inv);
      if (done == Pairing.NONE || events.get(done).type() == Op.Type.INFO) {
        out.add(new Txn(out.size(), invoke.process(), inv, Txn.NEVER, Op.Type.INFO, invoke.txn()));
      } else {
        TxnOp c = events.get(done);
        out.add(new Txn(out.size(), invoke.process(), inv, done, c.type(), c.type() == Op.Type.OK ? c.txn()
            : invoke.txn()));
      }
    }
    return out;
  }

  private static void checkMatches(int i, TxnOp invoke, TxnOp done) {
    List<MicroOp> a = invoke.txn();
    List<MicroOp> b = done.txn();
    if (a.size() != b.size()) {
      throw new IllegalArgumentException("event " + i + ": completion has " + b.size() + " micro-ops, invocation "
          + a.size());
    }
    for (int j = 0; j < a.size(); j++) {
      MicroOp x = a.get(j);
      MicroOp y = b.get(j);
      if (!x.f().equals(y.f()) || !x.key().equals(y.key()) || !java.util.Objects.equals(x.value(), y.value())) {
        throw new IllegalArgumentException("event " + i + ": micro-op " + j + " " + y + " does not match " + x);
      }
      if (done.type() == Op.Type.OK && y.isRead() && y.read() == null) {
        throw new IllegalArgumentException("event " + i + ": ok txn's read " + y + " has no result");
      }
    }
  }

  /** Writes the history as JSON lines. */
  public void save(Path file) throws IOException {
    JsonLines.save(file, events);
  }

  /** Reads a JSON-lines history; a bad line is reported with its line number. */
  public static TxnHistory load(Path file) throws IOException {
    return new TxnHistory(JsonLines.load(file, TxnOp.class, "txn event"));
  }
}
