package io.keel.chaos.checker.txn;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds, inside one strongly connected component of a {@link DepGraph}, the most severe cycle and names it the
 * way Adya / Elle do: G0 (only write-write), G1c (write-write and write-read), G-single (exactly one
 * anti-dependency), G2 (two or more); each "-realtime" when it needs a real-time edge. Searches the classes
 * in that order with growing edge sets, so the first cycle found is the strongest claim; each search is a BFS,
 * so the cycle is a shortest one for its class.
 */
final class CycleFinder {
  /** A cycle: nodes with first == last, its kind labels per edge, and its class name. */
  record Cycle(String type, List<Integer> nodes, List<String> edges) {
  }

  /** Bound on anti-dependency edges tried per component when looking for a G-single. */
  static final int MAX_SINGLE_RW_TRIES = 10_000;

  private final DepGraph graph;
  private final long deadlineNanos;

  CycleFinder(DepGraph graph, long deadlineNanos) {
    this.graph = graph;
    this.deadlineNanos = deadlineNanos;
  }

  /** The strongest cycle in {@code component} (which must be an SCC over all edge kinds). */
  Cycle find(int[] component) {
    boolean[] within = new boolean[graph.size()];
    for (int v : component) {
      within[v] = true;
    }
    for (int rt : new int[] {0, DepGraph.RT}) {
      Cycle c = cycleOver(DepGraph.WW | rt, within);
      if (c == null) {
        c = cycleOver(DepGraph.WW | DepGraph.WR | rt, within);
      }
      if (c == null) {
        c = singleAntiDependency(DepGraph.WW | DepGraph.WR | rt, within);
      }
      if (c == null) {
        c = cycleOver(DepGraph.WW | DepGraph.WR | DepGraph.RW | rt, within);
      }
      if (c != null) {
        return c;
      }
    }
    // unreachable for a real SCC: every edge kind is allowed in the last search
    throw new IllegalStateException("component of " + component.length + " nodes has no cycle");
  }

  private Cycle cycleOver(int mask, boolean[] within) {
    List<int[]> comps = graph.components(mask, within);
    if (comps.isEmpty()) {
      return null;
    }
    int start = comps.get(0)[0];
    List<Integer> path = graph.shortestPath(start, start, mask, within);
    if (path == null) {
      throw new IllegalStateException("node " + start + " of a component lies on no cycle");
    }
    return label(path, mask);
  }

  private Cycle singleAntiDependency(int mask, boolean[] within) {
    Cycle[] found = new Cycle[1];
    int[] tries = new int[1];
    graph.forEachEdge(DepGraph.RW, within, (a, b) -> {
      if (++tries[0] > MAX_SINGLE_RW_TRIES || System.nanoTime() - deadlineNanos > 0) {
        return false;
      }
      List<Integer> back = graph.shortestPath(b, a, mask, within);
      if (back != null) {
        List<Integer> cycle = new ArrayList<>();
        cycle.add(a);
        cycle.addAll(back);
        found[0] = label(cycle, mask | DepGraph.RW);
        return false;
      }
      return true;
    });
    return found[0];
  }

  /** Labels each edge with its preferred kind within {@code mask} and names the cycle. */
  private Cycle label(List<Integer> path, int mask) {
    List<String> kinds = new ArrayList<>();
    int rw = 0;
    boolean wr = false;
    boolean rt = false;
    for (int i = 0; i + 1 < path.size(); i++) {
      int k = graph.kinds(path.get(i), path.get(i + 1)) & mask;
      if ((k & DepGraph.WW) != 0) {
        kinds.add("ww");
      } else if ((k & DepGraph.WR) != 0) {
        kinds.add("wr");
        wr = true;
      } else if ((k & DepGraph.RT) != 0) {
        kinds.add("rt");
        rt = true;
      } else if ((k & DepGraph.RW) != 0) {
        kinds.add("rw");
        rw++;
      } else {
        throw new IllegalStateException("cycle uses a missing edge " + path.get(i) + "->" + path.get(i + 1));
      }
    }
    String type = rw == 0 ? (wr ? "G1c" : "G0") : rw == 1 ? "G-single" : "G2";
    return new Cycle(rt ? type + "-realtime" : type, path, kinds);
  }
}
