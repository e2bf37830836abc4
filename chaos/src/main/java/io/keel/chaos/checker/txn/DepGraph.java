package io.keel.chaos.checker.txn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dependency graph between transactions (dense node ids), each edge labelled with a bit set of its kinds:
 * {@link #WW} (write-write, the append order), {@link #WR} (a read observed an append), {@link #RW}
 * (anti-dependency: a read missed a later append) and {@link #RT} (real time: one completed before the other
 * began). Finds strongly connected components (iterative Tarjan) and shortest cycles (BFS) over any subset of
 * edge kinds. Single-threaded; bounded by a maximum edge count.
 */
final class DepGraph {
  static final int WW = 1;
  static final int WR = 2;
  static final int RW = 4;
  static final int RT = 8;
  static final int ALL = WW | WR | RW | RT;

  /** Thrown when the graph would exceed its edge bound. */
  static final class TooLarge extends RuntimeException {
    TooLarge(String msg) {
      super(msg, null, false, false);
    }
  }

  private final Map<Integer, Integer>[] out;
  private final long maxEdges;
  private long edges;

  @SuppressWarnings("unchecked")
  DepGraph(int nodes, long maxEdges) {
    this.out = new Map[nodes];
    this.maxEdges = maxEdges;
  }

  int size() {
    return out.length;
  }

  long edgeCount() {
    return edges;
  }

  void add(int from, int to, int kind) {
    if (from == to) {
      return;
    }
    Map<Integer, Integer> m = out[from];
    if (m == null) {
      m = new LinkedHashMap<>();
      out[from] = m;
    }
    Integer old = m.get(to);
    if (old == null) {
      if (++edges > maxEdges) {
        throw new TooLarge("dependency graph exceeds " + maxEdges + " edges");
      }
      m.put(to, kind);
    } else {
      m.put(to, old | kind);
    }
  }

  /** The kinds of the edge from→to, or 0. */
  int kinds(int from, int to) {
    Map<Integer, Integer> m = out[from];
    Integer k = m == null ? null : m.get(to);
    return k == null ? 0 : k;
  }

  /**
   * Strongly connected components with more than one node, over edges having any kind in {@code mask}, among
   * nodes with {@code within[node]} (null = all).
   */
  List<int[]> components(int mask, boolean[] within) {
    int n = out.length;
    int[] index = new int[n];
    int[] low = new int[n];
    boolean[] onStack = new boolean[n];
    Arrays.fill(index, -1);
    int[] stack = new int[n];
    int sp = 0;
    int counter = 0;
    List<int[]> result = new ArrayList<>();
    // explicit DFS: frames hold the node and an iterator over its successors
    int[] frameNode = new int[n];
    @SuppressWarnings("unchecked")
    java.util.Iterator<Map.Entry<Integer, Integer>>[] frameIt = new java.util.Iterator[n];
    for (int root = 0; root < n; root++) {
      if (index[root] >= 0 || (within != null && !within[root])) {
        continue;
      }
      int fp = 0;
      frameNode[fp] = root;
      frameIt[fp] = successors(root);
      index[root] = low[root] = counter++;
      stack[sp++] = root;
      onStack[root] = true;
      while (fp >= 0) {
        int v = frameNode[fp];
        java.util.Iterator<Map.Entry<Integer, Integer>> it = frameIt[fp];
        boolean descended = false;
        while (it.hasNext()) {
          Map.Entry<Integer, Integer> e = it.next();
          int w = e.getKey();
          if ((e.getValue() & mask) == 0 || (within != null && !within[w])) {
            continue;
          }
          if (index[w] < 0) {
            index[w] = low[w] = counter++;
            stack[sp++] = w;
            onStack[w] = true;
            fp++;
            frameNode[fp] = w;
            frameIt[fp] = successors(w);
            descended = true;
            break;
          } else if (onStack[w]) {
            low[v] = Math.min(low[v], index[w]);
          }
        }
        if (descended) {
          continue;
        }
        if (low[v] == index[v]) {
          int start = sp;
          do {
            start--;
          } while (stack[start] != v);
          int[] comp = Arrays.copyOfRange(stack, start, sp);
          for (int x : comp) {
            onStack[x] = false;
          }
          sp = start;
          if (comp.length > 1) {
            result.add(comp);
          }
        }
        frameIt[fp] = null;
        fp--;
        if (fp >= 0) {
          int parent = frameNode[fp];
          low[parent] = Math.min(low[parent], low[v]);
        }
      }
    }
    return result;
  }

  private java.util.Iterator<Map.Entry<Integer, Integer>> successors(int v) {
    Map<Integer, Integer> m = out[v];
    return m == null ? java.util.Collections.emptyIterator() : m.entrySet().iterator();
  }

  /**
   * A shortest path from {@code from} to {@code to} (both included; a cycle when equal, then of length ≥ 1
   * edge) over edges with a kind in {@code mask}, among nodes with {@code within[node]}; null if none.
   */
  List<Integer> shortestPath(int from, int to, int mask, boolean[] within) {
    int n = out.length;
    int[] parent = new int[n];
    Arrays.fill(parent, -2);
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    queue.add(from);
    parent[from] = -1;
    while (!queue.isEmpty()) {
      int v = queue.poll();
      Map<Integer, Integer> m = out[v];
      if (m == null) {
        continue;
      }
      for (Map.Entry<Integer, Integer> e : m.entrySet()) {
        int w = e.getKey();
        if ((e.getValue() & mask) == 0 || (within != null && !within[w])) {
          continue;
        }
        if (w == to) {
          List<Integer> path = new ArrayList<>();
          path.add(w);
          for (int x = v; x != -1; x = parent[x]) {
            path.add(x);
          }
          java.util.Collections.reverse(path);
          return path;
        }
        if (parent[w] == -2) {
          parent[w] = v;
          queue.add(w);
        }
      }
    }
    return null;
  }

  /** Calls {@code sink} for each edge from→to (from, to within) that has kind {@code kind}. */
  void forEachEdge(int kind, boolean[] within, EdgeSink sink) {
    for (int v = 0; v < out.length; v++) {
      if (out[v] == null || (within != null && !within[v])) {
        continue;
      }
      for (Map.Entry<Integer, Integer> e : out[v].entrySet()) {
        if ((e.getValue() & kind) != 0 && (within == null || within[e.getKey()])) {
          if (!sink.edge(v, e.getKey())) {
            return;
          }
        }
      }
    }
  }

  /** Receives edges; returns false to stop. */
  interface EdgeSink {
    boolean edge(int from, int to);
  }
}
