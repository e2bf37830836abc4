package io.keel.chaos.checker.txn;

import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generates list-append histories by running random txns from real threads against a strictly serializable
 * in-memory store (one lock around each whole txn), recording invoke before and completion after, so the
 * history's order is consistent with real time. Some txns abort (fail, no effect) and some end unknown (info,
 * applied or not at random) to exercise the checker's handling of both.
 */
final class ConcurrentHistories {
  private ConcurrentHistories() {
  }

  /** The store under test: key → list, each txn atomic under one monitor. */
  static final class ListStore {
    private final Map<String, List<Long>> lists = new HashMap<>();

    synchronized List<MicroOp> apply(List<MicroOp> txn, boolean commit) {
      Map<String, List<Long>> scratch = new HashMap<>();
      List<MicroOp> out = new ArrayList<>(txn.size());
      for (MicroOp m : txn) {
        List<Long> l = scratch.computeIfAbsent(m.key(), k -> new ArrayList<>(lists.getOrDefault(k, List.of())));
        if (m.isAppend()) {
          l.add(m.value());
          out.add(m);
        } else {
          out.add(m.withRead(List.copyOf(l)));
        }
      }
      if (commit) {
        lists.putAll(scratch);
      }
      return out;
    }
  }

  /** A synchronized event log: the index of an event is its real-time position. */
  private static final class Log {
    final List<TxnOp> events = new ArrayList<>();

    synchronized void add(TxnOp e) {
      events.add(e);
    }
  }

  static TxnHistory generate(long seed, int threads, int txnsPerThread, int keys) throws InterruptedException {
    return generate(seed, threads, txnsPerThread, keys, true);
  }

  /**
   * As above; with {@code atomic} false the store is broken on purpose: each micro-op commits on its own, so
   * other txns interleave inside a txn (a negative control for the checker).
   */
  static TxnHistory generate(long seed, int threads, int txnsPerThread, int keys, boolean atomic)
      throws InterruptedException {
    ListStore store = new ListStore();
    Log log = new Log();
    AtomicLong nextValue = new AtomicLong();
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Random rnd = new Random(seed * 1_000_003L + t);
      ts[t] = new Thread(() -> {
        int process = thread;
        for (int i = 0; i < txnsPerThread; i++) {
          List<MicroOp> txn = randomTxn(rnd, keys, nextValue);
          TxnOp inv = TxnOp.invoke(process, txn);
          log.add(inv);
          if (rnd.nextInt(4) == 0) {
            Thread.yield();
          }
          int fate = rnd.nextInt(20);
          if (fate == 0) {
            store.apply(txn, false);
            log.add(inv.complete(Op.Type.FAIL, null, "aborted"));
          } else if (fate == 1) {
            store.apply(txn, rnd.nextBoolean());
            log.add(inv.complete(Op.Type.INFO, null, "timeout"));
            process += threads; // a process with an unknown outcome never invokes again
          } else if (atomic) {
            log.add(inv.complete(Op.Type.OK, store.apply(txn, true), null));
          } else {
            List<MicroOp> result = new ArrayList<>();
            for (MicroOp m : txn) {
              result.addAll(store.apply(List.of(m), true));
              Thread.yield();
            }
            log.add(inv.complete(Op.Type.OK, result, null));
          }
        }
      }, "txn-client-" + t);
    }
    for (Thread t : ts) {
      t.start();
    }
    for (Thread t : ts) {
      t.join(30_000);
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " did not finish");
      }
    }
    return new TxnHistory(log.events);
  }

  private static List<MicroOp> randomTxn(Random rnd, int keys, AtomicLong nextValue) {
    int n = 1 + rnd.nextInt(4);
    List<MicroOp> txn = new ArrayList<>(n);
    for (int j = 0; j < n; j++) {
      String k = "k" + rnd.nextInt(keys);
      txn.add(rnd.nextBoolean() ? MicroOp.read(k) : MicroOp.append(k, nextValue.getAndIncrement()));
    }
    return txn;
  }
}
