package io.keel.chaos.checker;

import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Checks a history of per-key registers (read / write / cas) for linearizability. Keys are independent
 * (linearizability is compositional), so each key's sub-history is searched on its own. For a non-linearizable
 * key the checker also narrows the failure to a small window of the history: the shortest failing prefix, then
 * the latest start that still fails. A window is checked soundly (its failure implies the whole history's):
 * operations reaching outside it become unknown (optional) and the register's state at its start is unknown.
 */
public final class RegisterChecker {
  private final Supplier<Budget> budgets;

  /** @param budgets a fresh budget per key search (the window narrowing gets one more per key) */
  public RegisterChecker(Supplier<Budget> budgets) {
    this.budgets = budgets;
  }

  public static RegisterChecker standard() {
    return new RegisterChecker(Budget::standard);
  }

  public CheckResult check(History history) {
    long t0 = System.nanoTime();
    Map<String, List<Operation>> byKey = new TreeMap<>();
    for (Operation o : history.operations()) {
      String f = o.invoke().f();
      if (!f.equals("read") && !f.equals("write") && !f.equals("cas")) {
        continue;
      }
      if (o.outcome() == Op.Type.FAIL || (f.equals("read") && o.outcome() != Op.Type.OK)) {
        continue; // did not happen, or a read that tells nothing
      }
      if (o.invoke().key() == null) {
        throw new IllegalArgumentException("register operation without a key: " + o.describe());
      }
      byKey.computeIfAbsent(o.invoke().key(), k -> new ArrayList<>()).add(o);
    }
    List<KeyResult> results = new ArrayList<>();
    Verdict all = Verdict.VALID;
    int checked = 0;
    for (Map.Entry<String, List<Operation>> e : byKey.entrySet()) {
      List<Operation> ops = e.getValue();
      checked += ops.size();
      LinearizabilitySearch.Outcome out = LinearizabilitySearch.check(ops, RegisterModel.absent(), budgets.get());
      KeyResult r;
      if (out.verdict() == Verdict.INVALID) {
        r = narrow(e.getKey(), ops, out.steps());
      } else {
        r = new KeyResult(e.getKey(), out.verdict(), ops.size(), out.steps(), List.of(), -1, -1);
      }
      all = all.and(r.verdict());
      results.add(r);
    }
    return new CheckResult(all, results, checked, (System.nanoTime() - t0) / 1_000_000);
  }

  private KeyResult narrow(String key, List<Operation> ops, long steps) {
    Budget budget = budgets.get();
    int first = ops.stream().mapToInt(Operation::invokeIndex).min().orElse(0);
    List<Integer> ends = new ArrayList<>();
    for (Operation o : ops) {
      if (o.outcome() == Op.Type.OK) {
        ends.add(o.completeIndex());
      }
    }
    ends.sort(null);
    int lo = 0;
    int hi = ends.size() - 1;
    int end = ends.isEmpty() ? Integer.MAX_VALUE - 1 : ends.get(hi);
    while (lo < hi && !budget.expired()) {
      int mid = (lo + hi) >>> 1;
      if (fails(ops, first, ends.get(mid), budget)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (!ends.isEmpty() && fails(ops, first, ends.get(lo), budget)) {
      end = ends.get(lo);
    }
    List<Integer> starts = new ArrayList<>();
    for (Operation o : ops) {
      if (o.invokeIndex() <= end) {
        starts.add(o.invokeIndex());
      }
    }
    starts.sort(null);
    int start = first;
    lo = 0;
    hi = starts.size() - 1;
    while (lo < hi && !budget.expired()) {
      int mid = (lo + hi + 1) >>> 1;
      if (fails(ops, starts.get(mid), end, budget)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    if (!starts.isEmpty() && fails(ops, starts.get(lo), end, budget)) {
      start = starts.get(lo);
    }
    List<Operation> window = LinearizabilitySearch.byInvoke(cut(ops, start, end));
    return new KeyResult(key, Verdict.INVALID, ops.size(), steps, window, start, end);
  }

  private static boolean fails(List<Operation> ops, int start, int end, Budget budget) {
    Model m = start <= ops.stream().mapToInt(Operation::invokeIndex).min().orElse(0)
        ? RegisterModel.absent() : RegisterModel.unknownStart();
    return LinearizabilitySearch.check(cut(ops, start, end), m, budget).verdict() == Verdict.INVALID;
  }

  /** The operations overlapping [start, end]; those reaching outside it become unknown. */
  static List<Operation> cut(List<Operation> ops, int start, int end) {
    List<Operation> out = new ArrayList<>();
    for (Operation o : ops) {
      if (o.invokeIndex() > end || o.effectiveCompleteIndex() < start) {
        continue;
      }
      boolean inside = o.invokeIndex() >= start && o.effectiveCompleteIndex() <= end;
      if (inside || o.outcome() != Op.Type.OK) {
        out.add(o);
      } else if (!o.invoke().f().equals("read")) {
        out.add(new Operation(o.invokeIndex(), o.completeIndex(), o.invoke(),
            o.invoke().complete(Op.Type.INFO, null, null, "outside the window")));
      }
    }
    return out;
  }
}
