package io.keel.chaos.checker.txn;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a list-append history for strict serializability, Elle-style. Each key's version order is its longest
 * ok read (every other read must be a prefix of it); committed transactions (ok, plus info ones whose appends
 * were observed) are linked by write-write, write-read, read-write and real-time edges; cycles are found per
 * strongly connected component and named ({@link CycleFinder}). Non-cycle anomalies are found directly: aborted
 * reads (G1a), intermediate reads (G1b), garbage reads, duplicate elements, incompatible orders, internal
 * inconsistency, and lost appends (an acknowledged append never seen by a read that began after it).
 * Bounded by {@link TxnCheckLimits}; exceeding them answers UNKNOWN.
 */
public final class ListAppendChecker {
  private static final Logger log = LoggerFactory.getLogger(ListAppendChecker.class);

  private ListAppendChecker() {
  }

  /** A read as the rest of the world saw it: the txn's own earlier appends to the key removed. */
  private record ExtRead(Txn txn, String key, List<Long> values, List<Long> full) {
  }

  /** Where an appended value came from. */
  private record Write(Txn txn, boolean lastOfTxn) {
  }

  public static TxnCheckResult check(TxnHistory history) {
    return check(history.txns(), TxnCheckLimits.standard());
  }

  public static TxnCheckResult check(TxnHistory history, TxnCheckLimits limits) {
    return check(history.txns(), limits);
  }

  /**
   * Checks paired transactions (ids dense, in invocation order).
   *
   * @throws IllegalArgumentException if a value is appended twice to one key (the workload must make them unique)
   */
  public static TxnCheckResult check(List<Txn> txns, TxnCheckLimits limits) {
    long start = System.nanoTime();
    long deadline = start + limits.timeoutMs() * 1_000_000L;
    Found found = new Found(limits.maxAnomalies());
    if (txns.size() > limits.maxTxns()) {
      return new TxnCheckResult(Verdict.UNKNOWN, List.of(), 0, 0,
          txns.size() + " transactions exceed the limit of " + limits.maxTxns());
    }
    String unknown = null;
    int checked = 0;
    try {
      Map<String, Map<Long, Write>> writers = indexWrites(txns);
      List<ExtRead> reads = readsOf(txns, found);
      checkReadValues(reads, writers, found);
      Map<String, List<Long>> orders = versionOrders(reads, found);
      checkLostAppends(txns, reads, orders, found);
      if (expired(deadline)) {
        throw new DepGraph.TooLarge("timed out after " + limits.timeoutMs() + " ms before the graph");
      }
      Graph g = buildGraph(txns, writers, reads, orders, limits);
      checked = g.nodes.size();
      findCycles(g, deadline, found);
      if (expired(deadline)) {
        unknown = "timed out after " + limits.timeoutMs() + " ms while searching cycles";
      }
    } catch (DepGraph.TooLarge e) {
      unknown = e.getMessage();
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    Verdict v = !found.list.isEmpty() ? Verdict.INVALID : unknown != null ? Verdict.UNKNOWN : Verdict.VALID;
    log.debug("list-append check: {} txns, {} -> {} ({} anomalies) in {} ms", txns.size(), checked, v,
        found.list.size(), ms);
    return new TxnCheckResult(v, found.list, checked, ms, unknown);
  }

  private static boolean expired(long deadline) {
    return System.nanoTime() - deadline > 0;
  }

  /** A bounded anomaly collector. */
  private static final class Found {
    final List<Anomaly> list = new ArrayList<>();
    final int max;

    Found(int max) {
      this.max = max;
    }

    void add(String type, String why, List<Txn> txns) {
      if (list.size() < max) {
        list.add(new Anomaly(type, why, txns));
      }
    }
  }

  private static Map<String, Map<Long, Write>> indexWrites(List<Txn> txns) {
    Map<String, Map<Long, Write>> writers = new HashMap<>();
    for (Txn t : txns) {
      Map<String, Long> last = new HashMap<>();
      for (MicroOp m : t.ops()) {
        if (m.isAppend()) {
          last.put(m.key(), m.value());
        }
      }
      for (MicroOp m : t.ops()) {
        if (!m.isAppend()) {
          continue;
        }
        Write prev = writers.computeIfAbsent(m.key(), k -> new HashMap<>())
            .put(m.value(), new Write(t, m.value().equals(last.get(m.key()))));
        if (prev != null) {
          throw new IllegalArgumentException("value " + m.value() + " appended to key " + m.key() + " twice, by T"
              + prev.txn().id() + " and T" + t.id() + ": appended values must be unique per key");
        }
      }
    }
    return writers;
  }

  /** The external reads of ok txns, checking each txn's internal consistency and reads' duplicates. */
  private static List<ExtRead> readsOf(List<Txn> txns, Found found) {
    List<ExtRead> out = new ArrayList<>();
    for (Txn t : txns) {
      if (t.outcome() != Op.Type.OK) {
        continue;
      }
      Map<String, List<Long>> state = new HashMap<>();
      Map<String, List<Long>> own = new HashMap<>();
      for (MicroOp m : t.ops()) {
        String k = m.key();
        if (m.isAppend()) {
          own.computeIfAbsent(k, x -> new ArrayList<>()).add(m.value());
          List<Long> s = state.get(k);
          if (s != null) {
            s.add(m.value());
          }
          continue;
        }
        List<Long> seen = m.read();
        if (new HashSet<>(seen).size() != seen.size()) {
          found.add("duplicate-elements", "read of " + k + " has an element twice: " + seen, List.of(t));
          state.put(k, new ArrayList<>(seen));
          continue;
        }
        List<Long> expected = state.get(k);
        if (expected != null) {
          if (!expected.equals(seen)) {
            found.add("internal", "read of " + k + " saw " + seen + " but the txn's own earlier read and appends"
                + " imply " + expected, List.of(t));
          }
        } else {
          List<Long> mine = own.getOrDefault(k, List.of());
          int cut = seen.size() - mine.size();
          if (cut < 0 || !seen.subList(cut, seen.size()).equals(mine)) {
            found.add("internal", "read of " + k + " saw " + seen + " without the txn's own earlier appends "
                + mine + " at its end", List.of(t));
          } else {
            out.add(new ExtRead(t, k, List.copyOf(seen.subList(0, cut)), seen));
          }
        }
        state.put(k, new ArrayList<>(seen));
      }
    }
    return out;
  }

  /** Garbage reads, aborted reads (G1a) and intermediate reads (G1b). */
  private static void checkReadValues(List<ExtRead> reads, Map<String, Map<Long, Write>> writers, Found found) {
    for (ExtRead r : reads) {
      Map<Long, Write> w = writers.getOrDefault(r.key(), Map.of());
      for (int i = 0; i < r.values().size(); i++) {
        long x = r.values().get(i);
        Write src = w.get(x);
        if (src == null) {
          found.add("garbage-read", "read of " + r.key() + " saw " + x + ", which no txn appended", List.of(r.txn()));
        } else if (src.txn() == r.txn()) {
          found.add("internal", "read of " + r.key() + " saw the txn's own append " + x + " before making it",
              List.of(r.txn()));
        } else if (src.txn().outcome() == Op.Type.FAIL) {
          found.add("G1a", "read of " + r.key() + " saw " + x + ", appended by a failed txn",
              List.of(src.txn(), r.txn()));
        } else if (i == r.values().size() - 1 && !src.lastOfTxn()) {
          found.add("G1b", "read of " + r.key() + " ends with " + x + ", an intermediate append of another txn",
              List.of(src.txn(), r.txn()));
        }
      }
    }
  }

  /** Each key's longest read, if every read of it is a prefix of that one; incompatible keys are left out. */
  private static Map<String, List<Long>> versionOrders(List<ExtRead> reads, Found found) {
    Map<String, ExtRead> longest = new HashMap<>();
    for (ExtRead r : reads) {
      ExtRead l = longest.get(r.key());
      if (l == null || r.full().size() > l.full().size()) {
        longest.put(r.key(), r);
      }
    }
    Set<String> broken = new HashSet<>();
    for (ExtRead r : reads) {
      ExtRead l = longest.get(r.key());
      if (broken.contains(r.key())) {
        continue;
      }
      if (!l.full().subList(0, r.full().size()).equals(r.full())) {
        broken.add(r.key());
        found.add("incompatible-order", "reads of " + r.key() + " are not prefixes of one another: " + r.full()
            + " vs " + l.full(), List.of(r.txn(), l.txn()));
      }
    }
    Map<String, List<Long>> orders = new HashMap<>();
    longest.forEach((k, r) -> {
      if (!broken.contains(k)) {
        orders.put(k, r.full());
      }
    });
    return orders;
  }

  /** An acknowledged append that no read shows, though some ok read of its key began after it completed. */
  private static void checkLostAppends(List<Txn> txns, List<ExtRead> reads, Map<String, List<Long>> orders,
      Found found) {
    Map<String, Txn> latestReader = new HashMap<>();
    for (ExtRead r : reads) {
      Txn l = latestReader.get(r.key());
      if (l == null || r.txn().invokeIndex() > l.invokeIndex()) {
        latestReader.put(r.key(), r.txn());
      }
    }
    Map<String, Set<Long>> observed = new HashMap<>();
    orders.forEach((k, v) -> observed.put(k, new HashSet<>(v)));
    for (Txn t : txns) {
      if (t.outcome() != Op.Type.OK) {
        continue;
      }
      for (MicroOp m : t.ops()) {
        if (!m.isAppend() || !orders.containsKey(m.key())) {
          continue;
        }
        Txn reader = latestReader.get(m.key());
        if (reader != null && reader.invokeIndex() > t.completeIndex()
            && !observed.get(m.key()).contains(m.value())) {
          found.add("lost-append", "append of " + m.value() + " to " + m.key() + " was acknowledged, but a read"
              + " that began after it does not show it (and no read does)", List.of(t, reader));
        }
      }
    }
  }

  /** The dependency graph and its node ↔ txn mapping. */
  private record Graph(DepGraph deps, List<Txn> nodes) {
  }

  private static Graph buildGraph(List<Txn> txns, Map<String, Map<Long, Write>> writers, List<ExtRead> reads,
      Map<String, List<Long>> orders, TxnCheckLimits limits) {
    Set<Integer> observedInfo = new HashSet<>();
    for (Map.Entry<String, List<Long>> e : orders.entrySet()) {
      Map<Long, Write> w = writers.getOrDefault(e.getKey(), Map.of());
      for (long x : e.getValue()) {
        Write src = w.get(x);
        if (src != null && src.txn().outcome() == Op.Type.INFO) {
          observedInfo.add(src.txn().id());
        }
      }
    }
    for (ExtRead r : reads) {
      Map<Long, Write> w = writers.getOrDefault(r.key(), Map.of());
      for (long x : r.values()) {
        Write src = w.get(x);
        if (src != null && src.txn().outcome() == Op.Type.INFO) {
          observedInfo.add(src.txn().id());
        }
      }
    }
    int[] node = new int[txns.size()];
    List<Txn> nodes = new ArrayList<>();
    for (Txn t : txns) {
      boolean in = t.outcome() == Op.Type.OK || (t.outcome() == Op.Type.INFO && observedInfo.contains(t.id()));
      node[t.id()] = in ? nodes.size() : -1;
      if (in) {
        nodes.add(t);
      }
    }
    DepGraph g = new DepGraph(nodes.size(), limits.maxEdges());
    // ww: consecutive versions
    for (Map.Entry<String, List<Long>> e : orders.entrySet()) {
      Map<Long, Write> w = writers.getOrDefault(e.getKey(), Map.of());
      List<Long> order = e.getValue();
      for (int i = 0; i + 1 < order.size(); i++) {
        int a = nodeOf(w.get(order.get(i)), node);
        int b = nodeOf(w.get(order.get(i + 1)), node);
        if (a >= 0 && b >= 0) {
          g.add(a, b, DepGraph.WW);
        }
      }
    }
    // wr: the writer of a read's last element; rw: the writer of the version after it
    for (ExtRead r : reads) {
      Map<Long, Write> w = writers.getOrDefault(r.key(), Map.of());
      int reader = node[r.txn().id()];
      if (!r.values().isEmpty()) {
        int src = nodeOf(w.get(r.values().get(r.values().size() - 1)), node);
        if (src >= 0) {
          g.add(src, reader, DepGraph.WR);
        }
      }
      List<Long> order = orders.get(r.key());
      if (order != null && order.size() > r.values().size()) {
        int next = nodeOf(w.get(order.get(r.values().size())), node);
        if (next >= 0) {
          g.add(reader, next, DepGraph.RW);
        }
      }
    }
    addRealtime(g, nodes);
    return new Graph(g, nodes);
  }

  private static int nodeOf(Write w, int[] node) {
    return w == null ? -1 : node[w.txn().id()];
  }

  /**
   * Real-time edges, transitively reduced: at each invocation, an edge from every txn on the "frontier" (completed
   * and not yet followed by a completed successor); a completion replaces its predecessors on the frontier.
   */
  private static void addRealtime(DepGraph g, List<Txn> nodes) {
    List<long[]> events = new ArrayList<>(nodes.size() * 2);
    for (int i = 0; i < nodes.size(); i++) {
      Txn t = nodes.get(i);
      events.add(new long[] {t.invokeIndex(), i, 0});
      if (t.completeIndex() != Txn.NEVER) {
        events.add(new long[] {t.completeIndex(), i, 1});
      }
    }
    events.sort((a, b) -> Long.compare(a[0], b[0]));
    Set<Integer> frontier = new java.util.LinkedHashSet<>();
    Map<Integer, List<Integer>> preds = new HashMap<>();
    for (long[] e : events) {
      int t = (int) e[1];
      if (e[2] == 0) {
        List<Integer> p = new ArrayList<>(frontier);
        for (int f : p) {
          g.add(f, t, DepGraph.RT);
        }
        preds.put(t, p);
      } else {
        List<Integer> p = preds.remove(t);
        if (p != null) {
          p.forEach(frontier::remove);
        }
        frontier.add(t);
      }
    }
  }

  private static void findCycles(Graph g, long deadline, Found found) {
    CycleFinder finder = new CycleFinder(g.deps(), deadline);
    for (int[] comp : g.deps().components(DepGraph.ALL, null)) {
      if (expired(deadline)) {
        return;
      }
      CycleFinder.Cycle c = finder.find(comp);
      List<Txn> txns = new ArrayList<>();
      StringBuilder why = new StringBuilder("cycle ");
      for (int i = 0; i < c.nodes().size(); i++) {
        Txn t = g.nodes().get(c.nodes().get(i));
        why.append('T').append(t.id());
        if (i < c.edges().size()) {
          why.append(" -").append(c.edges().get(i)).append("-> ");
          txns.add(t);
        }
      }
      why.append(" (component of ").append(comp.length).append(" txns)");
      found.add(c.type(), why.toString(), txns);
    }
  }
}
