package io.keel.chaos.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Operation;
import io.keel.chaos.history.Recorder;
import io.keel.chaos.report.Report;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Histories recorded from real concurrent executions: against a correct (atomic) register store they check
 * VALID; against stores with a deliberate bug (stale reads, lost writes, duplicated writes) they are caught,
 * and the report names a small failing window.
 */
class RegisterCheckerTest {
  private static final int THREADS = 5;
  private static final int OPS_PER_THREAD = 150;
  private static final String[] KEYS = {"k0", "k1", "k2"};

  /** A register store under test; each call is one client operation. */
  interface Store {
    Long read(String key);

    void write(String key, long v);

    boolean cas(String key, long expected, long v);
  }

  /** Correct: every operation atomic under one lock. */
  static class AtomicStore implements Store {
    final Map<String, Long> map = new HashMap<>();

    @Override
    public synchronized Long read(String key) {
      return map.get(key);
    }

    @Override
    public synchronized void write(String key, long v) {
      map.put(key, v);
    }

    @Override
    public synchronized boolean cas(String key, long expected, long v) {
      Long cur = map.get(key);
      if (cur != null && cur == expected) {
        map.put(key, v);
        return true;
      }
      return false;
    }
  }

  /** Reads come from a copy refreshed only every 8th write: a follower serving reads without ReadIndex. */
  static final class StaleReadStore extends AtomicStore {
    final Map<String, Long> replica = new HashMap<>();
    int writes;

    @Override
    public synchronized Long read(String key) {
      return replica.get(key);
    }

    @Override
    public synchronized void write(String key, long v) {
      super.write(key, v);
      if (++writes % 8 == 0) {
        replica.clear();
        replica.putAll(map);
      }
    }
  }

  /** Every 6th write is acknowledged but never applied. */
  static final class LostWriteStore extends AtomicStore {
    int writes;

    @Override
    public synchronized void write(String key, long v) {
      if (++writes % 6 != 0) {
        super.write(key, v);
      }
    }
  }

  /** Every 6th write is applied again (a replayed proposal) three writes later. */
  static final class DuplicateWriteStore extends AtomicStore {
    int writes;
    String replayKey;
    long replayValue;
    int replayAt = -1;

    @Override
    public synchronized void write(String key, long v) {
      super.write(key, v);
      writes++;
      if (writes == replayAt) {
        map.put(replayKey, replayValue);
      }
      if (writes % 6 == 0) {
        replayKey = key;
        replayValue = v;
        replayAt = writes + 3;
      }
    }
  }

  /** Runs THREADS real threads of random ops on the store and records the history. */
  static History run(Store store, long seed) throws Exception {
    Recorder rec = new Recorder(100_000);
    AtomicInteger nextValue = new AtomicInteger();
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      threads.add(new Thread(() -> {
        Random rnd = new Random(seed * 31 + thread);
        int process = thread;
        try {
          start.await();
          for (int i = 0; i < OPS_PER_THREAD; i++) {
            String key = KEYS[rnd.nextInt(KEYS.length)];
            boolean timeout = rnd.nextInt(25) == 0;
            boolean applyDespiteTimeout = rnd.nextBoolean();
            switch (rnd.nextInt(3)) {
              case 0 -> {
                Op inv = Op.invoke(process, "read", key, null, null);
                rec.invoke(inv);
                Long v = store.read(key);
                rec.complete(inv.complete(Op.Type.OK, v, null, null));
              }
              case 1 -> {
                Op inv = Op.invoke(process, "write", key, (long) nextValue.incrementAndGet(), null);
                rec.invoke(inv);
                if (!timeout || applyDespiteTimeout) {
                  store.write(key, inv.value());
                }
                rec.complete(inv.complete(timeout ? Op.Type.INFO : Op.Type.OK, inv.value(), null,
                    timeout ? "timeout" : null));
              }
              default -> {
                long expected = rnd.nextInt(Math.max(1, nextValue.get())) + 1;
                Op inv = Op.invoke(process, "cas", key, (long) nextValue.incrementAndGet(), expected);
                rec.invoke(inv);
                boolean ok = (!timeout || applyDespiteTimeout) && store.cas(key, expected, inv.value());
                rec.complete(inv.complete(timeout ? Op.Type.INFO : ok ? Op.Type.OK : Op.Type.FAIL, inv.value(),
                    null, timeout ? "timeout" : ok ? null : "compare failed"));
              }
            }
            if (timeout) {
              process += THREADS; // a process with an unknown outcome never invokes again
            }
            if (rnd.nextInt(4) == 0) {
              Thread.yield();
            }
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertThat(errors).isEmpty();
    return rec.history();
  }

  private static RegisterChecker checker() {
    return new RegisterChecker(() -> Budget.of(5_000_000, 1_000_000, 20_000));
  }

  @Test
  void correctStoreIsLinearizableOverManySeeds() throws Exception {
    for (long seed = 0; seed < 40; seed++) {
      History h = run(new AtomicStore(), seed);
      CheckResult r = checker().check(h);
      assertThat(r.verdict()).as("seed %d:\n%s", seed, new Report("seed " + seed, h, r, Map.of()).text())
          .isEqualTo(Verdict.VALID);
      assertThat(r.operationsChecked()).isGreaterThan(THREADS * OPS_PER_THREAD / 2);
    }
  }

  @Test
  void staleReadsAreCaught() throws Exception {
    assertCaught(StaleReadStore::new);
  }

  @Test
  void lostWritesAreCaught() throws Exception {
    assertCaught(LostWriteStore::new);
  }

  @Test
  void duplicatedWritesAreCaught() throws Exception {
    assertCaught(DuplicateWriteStore::new);
  }

  private static void assertCaught(java.util.function.Supplier<Store> stores) throws Exception {
    for (long seed = 0; seed < 15; seed++) {
      History h = run(stores.get(), seed);
      CheckResult r = checker().check(h);
      assertThat(r.verdict()).as("seed %d", seed).isEqualTo(Verdict.INVALID);
      KeyResult bad = r.invalidKeys().get(0);
      assertThat(bad.window()).isNotEmpty();
      assertThat(bad.window().size()).as("the window is smaller than the key's history")
          .isLessThan(bad.operations());
      // The window alone (state at its start unknown) is still not linearizable: it is a real witness.
      Model m = bad.windowStart() <= firstInvoke(h, bad.key()) ? RegisterModel.absent()
          : RegisterModel.unknownStart();
      assertThat(LinearizabilitySearch.check(bad.window(), m, Budget.standard()).verdict())
          .isEqualTo(Verdict.INVALID);
      String text = new Report("seed " + seed, h, r, Map.of()).text();
      assertThat(text).contains("verdict: INVALID").contains("smallest failing window")
          .contains("key " + bad.key());
    }
  }

  private static int firstInvoke(History h, String key) {
    for (Operation o : h.operations()) {
      if (key.equals(o.invoke().key())) {
        return o.invokeIndex();
      }
    }
    return 0;
  }

  @Test
  void hand_writtenStaleReadIsNarrowedToItsWitness() {
    List<Op> ev = new ArrayList<>();
    // Noise on the key first, then: write 1 ok; write 2 ok; read -> 1 (stale).
    for (int i = 0; i < 20; i++) {
      Op w = Op.invoke(0, "write", "x", (long) (100 + i), null);
      ev.add(w);
      ev.add(w.complete(Op.Type.OK, w.value(), null, null));
    }
    Op w1 = Op.invoke(1, "write", "x", 1L, null);
    ev.add(w1);
    ev.add(w1.complete(Op.Type.OK, 1L, null, null));
    Op w2 = Op.invoke(2, "write", "x", 2L, null);
    ev.add(w2);
    ev.add(w2.complete(Op.Type.OK, 2L, null, null));
    Op r = Op.invoke(3, "read", "x", null, null);
    ev.add(r);
    ev.add(r.complete(Op.Type.OK, 1L, null, null));
    CheckResult res = checker().check(new History(ev));
    assertThat(res.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(res.invalidKeys().get(0).window()).extracting(o -> o.invoke().process())
        .containsExactly(2, 3);
  }

  @Test
  void unknownWriteMayOrMayNotTakeEffect() {
    for (boolean seen : new boolean[] {true, false}) {
      List<Op> ev = new ArrayList<>();
      Op w = Op.invoke(0, "write", "x", 5L, null);
      ev.add(w);
      ev.add(w.complete(Op.Type.INFO, null, null, "timeout"));
      Op r = Op.invoke(1, "read", "x", null, null);
      ev.add(r);
      ev.add(r.complete(Op.Type.OK, seen ? 5L : null, null, null));
      assertThat(checker().check(new History(ev)).verdict()).isEqualTo(Verdict.VALID);
    }
  }

  @Test
  void historySurvivesJsonLines(@TempDir Path dir) throws Exception {
    History h = run(new StaleReadStore(), 3);
    Path f = dir.resolve("history.jsonl");
    h.save(f);
    History back = History.load(f);
    assertThat(back.events()).isEqualTo(h.events());
    assertThat(checker().check(back).verdict()).isEqualTo(checker().check(h).verdict());
    new Report("t", back, checker().check(back), Map.of()).write(dir);
    assertThat(dir.resolve("report.html")).content().contains("<svg").contains("INVALID");
  }

  @Test
  void malformedHistoriesAreRefusedWithAClearError(@TempDir Path dir) throws Exception {
    Op a = Op.invoke(0, "read", "x", null, null);
    History twice = new History(List.of(a, a));
    org.assertj.core.api.Assertions.assertThatThrownBy(twice::operations)
        .hasMessageContaining("still in flight");
    Path f = dir.resolve("bad.jsonl");
    java.nio.file.Files.writeString(f, "{\"process\":0,\"type\":\"INVOKE\",\"f\":\"read\"}\nnot json\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> History.load(f))
        .hasMessageContaining(":2:");
  }
}
