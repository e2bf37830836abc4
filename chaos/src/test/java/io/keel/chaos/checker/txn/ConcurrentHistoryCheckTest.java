package io.keel.chaos.checker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Over many seeds: histories from a strictly serializable store driven by real threads check VALID, and the
 * same histories with one injected anomaly check INVALID with the right class.
 */
class ConcurrentHistoryCheckTest {
  private static final int SEEDS = 120;

  @Test
  void correctStoreIsAlwaysValid() throws Exception {
    int txns = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      TxnHistory h = ConcurrentHistories.generate(seed, 4, 60, 1 + (int) (seed % 6));
      TxnCheckResult res = ListAppendChecker.check(h);
      assertThat(res.verdict()).as("seed %d: %s", seed, res.anomalies()).isEqualTo(Verdict.VALID);
      txns += res.txnsChecked();
    }
    assertThat(txns).isGreaterThan(SEEDS * 150);
  }

  @Test
  void largeHistoryIsValidWithinDefaultLimits() throws Exception {
    TxnCheckResult res = ListAppendChecker.check(ConcurrentHistories.generate(99, 8, 800, 50));
    assertThat(res.verdict()).as(res.anomalies().toString()).isEqualTo(Verdict.VALID);
    assertThat(res.txnsChecked()).isGreaterThan(5_000);
  }

  @Test
  void readingAFailedTxnsAppendIsAlwaysG1a() throws Exception {
    int caught = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      List<TxnOp> ev = new ArrayList<>(ConcurrentHistories.generate(seed, 4, 60, 3).events());
      // turn an ok txn whose append some other txn read into a failure
      List<Txn> txns = new TxnHistory(ev).txns();
      Txn victim = observedAppender(txns);
      if (victim == null) {
        continue;
      }
      TxnOp done = ev.get(victim.completeIndex());
      ev.set(victim.completeIndex(), new TxnOp(done.process(), Op.Type.FAIL, ev.get(victim.invokeIndex()).txn(),
          0, "injected"));
      TxnCheckResult res = ListAppendChecker.check(new TxnHistory(ev));
      assertThat(res.types()).as("seed %d", seed).contains("G1a");
      caught++;
    }
    assertThat(caught).isGreaterThan(SEEDS / 2);
  }

  @Test
  void staleReadIsAlwaysCaught() throws Exception {
    int caught = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      List<TxnOp> ev = new ArrayList<>(ConcurrentHistories.generate(seed, 4, 60, 3).events());
      List<Txn> txns = new TxnHistory(ev).txns();
      // a read whose last element was appended by a txn that completed before the read began: drop that element
      Txn reader = null;
      int op = -1;
      outer:
      for (Txn t : txns) {
        if (t.outcome() != Op.Type.OK) {
          continue;
        }
        for (int i = 0; i < t.ops().size(); i++) {
          MicroOp m = t.ops().get(i);
          if (m.isRead() && !m.read().isEmpty() && firstTouch(t, i)) {
            Txn w = writerOf(txns, m.key(), m.read().get(m.read().size() - 1));
            if (w != null && w.outcome() == Op.Type.OK && w.completeIndex() < t.invokeIndex()) {
              reader = t;
              op = i;
              break outer;
            }
          }
        }
      }
      if (reader == null) {
        continue;
      }
      List<MicroOp> ops = new ArrayList<>(reader.ops());
      MicroOp m = ops.get(op);
      ops.set(op, m.withRead(m.read().subList(0, m.read().size() - 1)));
      TxnOp done = ev.get(reader.completeIndex());
      ev.set(reader.completeIndex(), new TxnOp(done.process(), Op.Type.OK, ops, 0, null));
      TxnCheckResult res = ListAppendChecker.check(new TxnHistory(ev));
      assertThat(res.verdict()).as("seed %d", seed).isEqualTo(Verdict.INVALID);
      assertThat(res.types()).as("seed %d", seed)
          .containsAnyOf("G-single-realtime", "G2-realtime", "G-single", "G2", "lost-append", "internal");
      caught++;
    }
    assertThat(caught).isGreaterThan(SEEDS / 2);
  }

  @Test
  void lostAppendIsAlwaysCaught() throws Exception {
    int caught = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      List<TxnOp> ev = new ArrayList<>(ConcurrentHistories.generate(seed, 4, 60, 2).events());
      List<Txn> txns = new TxnHistory(ev).txns();
      // erase an acknowledged, single-append value from every read, if a later read exists
      Random rnd = new Random(seed);
      Txn victim = null;
      for (int tries = 0; tries < 50 && victim == null; tries++) {
        Txn t = txns.get(rnd.nextInt(txns.size()));
        if (t.outcome() == Op.Type.OK && t.ops().stream().filter(MicroOp::isAppend).count() == 1
            && t.ops().stream().noneMatch(MicroOp::isRead)) {
          victim = t;
        }
      }
      if (victim == null) {
        continue;
      }
      MicroOp lost = victim.ops().stream().filter(MicroOp::isAppend).findFirst().orElseThrow();
      boolean laterRead = false;
      for (int i = 0; i < ev.size(); i++) {
        TxnOp e = ev.get(i);
        List<MicroOp> ops = new ArrayList<>();
        for (MicroOp m : e.txn()) {
          if (m.isRead() && m.read() != null && m.key().equals(lost.key())) {
            List<Long> l = new ArrayList<>(m.read());
            l.remove(lost.value());
            m = m.withRead(l);
          }
          ops.add(m);
        }
        ev.set(i, new TxnOp(e.process(), e.type(), ops, e.timeNanos(), e.error()));
      }
      for (Txn t : txns) {
        laterRead |= t.outcome() == Op.Type.OK && t.invokeIndex() > victim.completeIndex()
            && t.ops().stream().anyMatch(m -> m.isRead() && m.key().equals(lost.key()));
      }
      if (!laterRead) {
        continue;
      }
      TxnCheckResult res = ListAppendChecker.check(new TxnHistory(ev));
      assertThat(res.types()).as("seed %d", seed).contains("lost-append");
      caught++;
    }
    assertThat(caught).isGreaterThan(SEEDS / 3);
  }

  @Test
  void nonAtomicStoreIsCaught() throws Exception {
    // a store that commits each micro-op separately: over many seeds some history must show a cycle
    int invalid = 0;
    for (long seed = 0; seed < 40; seed++) {
      TxnHistory h = ConcurrentHistories.generate(seed, 4, 60, 2, false);
      TxnCheckResult res = ListAppendChecker.check(h);
      if (res.verdict() == Verdict.INVALID) {
        invalid++;
        assertThat(res.types()).isNotEmpty();
      }
      assertThat(res.verdict()).isNotEqualTo(Verdict.UNKNOWN);
    }
    assertThat(invalid).isGreaterThan(0);
  }

  private static boolean firstTouch(Txn t, int upTo) {
    String k = t.ops().get(upTo).key();
    for (int i = 0; i < upTo; i++) {
      if (t.ops().get(i).key().equals(k)) {
        return false;
      }
    }
    return true;
  }

  private static Txn writerOf(List<Txn> txns, String key, long value) {
    for (Txn t : txns) {
      for (MicroOp m : t.ops()) {
        if (m.isAppend() && m.key().equals(key) && m.value() == value) {
          return t;
        }
      }
    }
    return null;
  }

  /** An ok txn one of whose appends another ok txn read, or null. */
  private static Txn observedAppender(List<Txn> txns) {
    java.util.Map<Long, Txn> writer = new java.util.HashMap<>();
    for (Txn t : txns) {
      t.ops().stream().filter(MicroOp::isAppend).forEach(m -> writer.put(m.value(), t));
    }
    for (Txn t : txns) {
      if (t.outcome() != Op.Type.OK) {
        continue;
      }
      for (MicroOp m : t.ops()) {
        if (m.isRead()) {
          for (long v : m.read()) {
            Txn w = writer.get(v);
            if (w != t && w.outcome() == Op.Type.OK) {
              return w;
            }
          }
        }
      }
    }
    return null;
  }
}
