package io.keel.chaos.checker;

import io.keel.chaos.history.Op;
import io.keel.chaos.history.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Wing–Gong–Lowe linearizability search over one independent sub-history (e.g. one key). Call and return
 * events sit in a doubly linked list in real-time order; the search repeatedly linearizes the first call it can
 * (lifting its call and return out of the list) and backtracks when it meets a return whose call is not yet
 * linearized. (linearized set, model state) pairs already explored are memoized, as Lowe describes, which
 * prunes the search from exponential to roughly the number of distinct configurations.
 *
 * <p>Operations with an unknown outcome ({@code info}) have their return at infinity and are optional: the
 * history is linearizable once every {@code ok} operation is linearized. Failed operations must be filtered out
 * by the caller (they did not happen).
 */
public final class LinearizabilitySearch {
  /** The search's answer and how much work it took. */
  public record Outcome(Verdict verdict, long steps, int memoEntries, int maxLinearized) { }

  /**
   * A configuration: which ok ops are linearized, how many unknown (info) ops of each class, and the state.
   * Unknown ops of one class (same f and arguments) are interchangeable once linearized — all have their return
   * at infinity and the same effect, and every op left over is already invoked — so counting them, rather than
   * naming them, merges configurations that have the same futures.
   */
  private static final class Memo {
    private final BitSet ok;
    private final int[] infoCounts;
    private final long state;
    private final int hash;

    Memo(BitSet ok, int[] infoCounts, long state) {
      this.ok = ok;
      this.infoCounts = infoCounts;
      this.state = state;
      this.hash = (ok.hashCode() * 31 + Arrays.hashCode(infoCounts)) * 31 + Long.hashCode(state);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Memo m && m.state == state && m.ok.equals(ok) && Arrays.equals(m.infoCounts, infoCounts);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private LinearizabilitySearch() {
  }

  public static Outcome check(List<Operation> ops, Model model, Budget budget) {
    int n = ops.size();
    for (Operation o : ops) {
      if (o.outcome() == Op.Type.FAIL || o.outcome() == Op.Type.INVOKE) {
        throw new IllegalArgumentException("only ok and info operations may be searched: " + o.describe());
      }
    }
    // Nodes: call of op i = 2i, return of op i = 2i+1, head sentinel = 2n, end = -1.
    Integer[] order = new Integer[2 * n];
    for (int i = 0; i < 2 * n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingLong((Integer node) -> time(ops, node)).thenComparingInt(node -> node));
    int head = 2 * n;
    int[] next = new int[2 * n + 1];
    int[] prev = new int[2 * n + 1];
    int last = head;
    for (int node : order) {
      next[last] = node;
      prev[node] = last;
      last = node;
    }
    next[last] = -1;
    int okRemaining = 0;
    for (Operation o : ops) {
      if (o.outcome() == Op.Type.OK) {
        okRemaining++;
      }
    }
    BitSet linearized = new BitSet(n);
    int[] infoClass = new int[n];
    java.util.Map<String, Integer> classes = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      Operation o = ops.get(i);
      infoClass[i] = o.outcome() != Op.Type.INFO ? -1 : classes.computeIfAbsent(
          o.invoke().f() + "/" + o.invoke().value() + "/" + o.invoke().expected(), k -> classes.size());
    }
    int[] infoCounts = new int[classes.size()];
    Set<Memo> memo = new HashSet<>();
    int[] stackOp = new int[n];
    long[] stackState = new long[n];
    int depth = 0;
    int maxDepth = 0;
    long state = model.initial();
    long steps = 0;
    int entry = next[head];
    while (true) {
      if (okRemaining == 0) {
        return new Outcome(Verdict.VALID, steps, memo.size(), maxDepth);
      }
      if (++steps > budget.maxSteps() || memo.size() > budget.maxMemoEntries()
          || ((steps & 0xFFF) == 0 && budget.expired())) {
        return new Outcome(Verdict.UNKNOWN, steps, memo.size(), maxDepth);
      }
      if (entry >= 0 && (entry & 1) == 0) {
        int i = entry >> 1;
        Operation o = ops.get(i);
        long after = model.step(state, o);
        if (after != Model.ILLEGAL) {
          int[] counts = infoCounts;
          if (infoClass[i] >= 0) {
            counts = infoCounts.clone();
            counts[infoClass[i]]++;
          } else {
            linearized.set(i);
          }
          if (memo.add(new Memo((BitSet) linearized.clone(), counts == infoCounts ? infoCounts.clone() : counts,
              after))) {
            if (infoClass[i] >= 0) {
              infoCounts[infoClass[i]]++;
            }
            stackOp[depth] = i;
            stackState[depth] = state;
            depth++;
            maxDepth = Math.max(maxDepth, depth);
            state = after;
            unlink(2 * i, next, prev);
            unlink(2 * i + 1, next, prev);
            if (o.outcome() == Op.Type.OK) {
              okRemaining--;
            }
            entry = next[head];
            continue;
          }
          linearized.clear(i);
        }
        entry = next[entry];
      } else {
        if (depth == 0) {
          return new Outcome(Verdict.INVALID, steps, memo.size(), maxDepth);
        }
        depth--;
        int i = stackOp[depth];
        state = stackState[depth];
        if (infoClass[i] >= 0) {
          infoCounts[infoClass[i]]--;
        } else {
          linearized.clear(i);
        }
        relink(2 * i + 1, next, prev);
        relink(2 * i, next, prev);
        if (ops.get(i).outcome() == Op.Type.OK) {
          okRemaining++;
        }
        entry = next[2 * i];
      }
    }
  }

  private static long time(List<Operation> ops, int node) {
    Operation o = ops.get(node >> 1);
    return (node & 1) == 0 ? o.invokeIndex() : o.effectiveCompleteIndex();
  }

  private static void unlink(int node, int[] next, int[] prev) {
    int p = prev[node];
    int nx = next[node];
    next[p] = nx;
    if (nx >= 0) {
      prev[nx] = p;
    }
  }

  private static void relink(int node, int[] next, int[] prev) {
    int p = prev[node];
    int nx = next[node];
    next[p] = node;
    if (nx >= 0) {
      prev[nx] = node;
    }
  }

  /** Operations sorted by invocation, for reports. */
  static List<Operation> byInvoke(List<Operation> ops) {
    List<Operation> out = new ArrayList<>(ops);
    out.sort(Comparator.comparingInt(Operation::invokeIndex));
    return out;
  }
}
