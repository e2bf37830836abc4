package io.keel.watch.workqueue;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Safety properties of {@link WorkQueue} over many seeds: a sequential run compared step by step with a
 * simple model (dedup, FIFO, re-queue after done, delays, bound), and a concurrent run of adders and
 * workers checking that no key is ever held by two workers and that no add is lost (level-triggered:
 * every worker that finally handles a key sees that key's last change).
 */
class WorkQueuePropertiesTest {

  /** A plain, obviously-correct model of the queue, single-threaded. */
  private static final class Model {
    final int maxItems;
    final ArrayDeque<Integer> queue = new ArrayDeque<>();
    final Set<Integer> dirty = new HashSet<>();
    final Set<Integer> processing = new HashSet<>();
    final Map<Integer, long[]> delayed = new HashMap<>(); // key -> {readyAt, seq}
    long seq;

    Model(int maxItems) {
      this.maxItems = maxItems;
    }

    AddResult add(int k) {
      if (dirty.contains(k)) {
        return processing.contains(k) ? AddResult.QUEUED_AFTER_DONE : AddResult.ALREADY_QUEUED;
      }
      if (dirty.size() >= maxItems) {
        return AddResult.REJECTED_FULL;
      }
      dirty.add(k);
      if (processing.contains(k)) {
        return AddResult.QUEUED_AFTER_DONE;
      }
      queue.addLast(k);
      return AddResult.QUEUED;
    }

    AddResult addAfter(int k, long now, long delay) {
      if (delay <= 0) {
        return add(k);
      }
      long[] e = delayed.get(k);
      if (e != null) {
        if (now + delay < e[0]) {
          delayed.put(k, new long[] {now + delay, seq++});
        }
        return AddResult.DELAYED;
      }
      if (delayed.size() >= maxItems) {
        return AddResult.REJECTED_FULL;
      }
      delayed.put(k, new long[] {now + delay, seq++});
      return AddResult.DELAYED;
    }

    void promote(long now) {
      while (true) {
        Integer best = null;
        for (Map.Entry<Integer, long[]> e : delayed.entrySet()) {
          long[] v = e.getValue();
          if (v[0] <= now && (best == null || v[0] < delayed.get(best)[0]
              || (v[0] == delayed.get(best)[0] && v[1] < delayed.get(best)[1]))) {
            best = e.getKey();
          }
        }
        if (best == null) {
          return;
        }
        delayed.remove(best);
        if (add(best) == AddResult.REJECTED_FULL) {
          delayed.put(best, new long[] {now + 10, seq++});
          return;
        }
      }
    }

    Integer get(long now) {
      promote(now);
      Integer k = queue.pollFirst();
      if (k != null) {
        dirty.remove(k);
        assertThat(processing.add(k)).as("model hands out a held key").isTrue();
      }
      return k;
    }

    void done(int k) {
      processing.remove(k);
      if (dirty.contains(k)) {
        queue.addLast(k);
      }
    }
  }

  @Property(tries = 300)
  void sequentialRunMatchesTheModel(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6) int maxItems) throws Exception {
    Random rnd = new Random(seed);
    ManualTicker ticker = new ManualTicker();
    WorkQueue<Integer> q = new WorkQueue<>("prop", maxItems, ticker, new SimpleMeterRegistry());
    Model m = new Model(maxItems);
    long modelNow = 0;
    List<Integer> held = new ArrayList<>();
    for (int step = 0; step < 200; step++) {
      int op = rnd.nextInt(10);
      int key = rnd.nextInt(8);
      String at = "seed " + seed + " step " + step;
      if (op < 3) {
        assertThat(q.add(key)).as(at).isEqualTo(m.add(key));
      } else if (op < 5) {
        int delayMs = rnd.nextInt(20);
        assertThat(q.addAfter(key, delayMs)).as(at).isEqualTo(m.addAfter(key, modelNow, delayMs));
      } else if (op < 7) {
        Integer got = q.get(0);
        assertThat(got).as(at).isEqualTo(m.get(modelNow));
        if (got != null) {
          held.add(got);
        }
      } else if (op < 9) {
        if (!held.isEmpty()) {
          int k = held.remove(rnd.nextInt(held.size()));
          q.done(k);
          m.done(k);
        }
      } else {
        int ms = rnd.nextInt(15);
        ticker.advanceMs(ms);
        modelNow += ms;
      }
      assertThat(new HashSet<>(held)).as(at).hasSize(held.size()).isEqualTo(m.processing);
      assertThat(q.delayedLen()).as(at).isEqualTo(m.delayed.size());
    }
  }

  @Property(tries = 25)
  void concurrentWorkersNeverShareAKeyAndNoAddIsLost(@ForAll long seed) throws Exception {
    final int keys = 12;
    final int adders = 2;
    final int workers = 3;
    final int addsPerAdder = 400;
    WorkQueue<Integer> q = new WorkQueue<>("conc", 64, Ticker.system(), new SimpleMeterRegistry());
    AtomicIntegerArray version = new AtomicIntegerArray(keys);
    AtomicIntegerArray seen = new AtomicIntegerArray(keys);
    Set<Integer> inFlight = ConcurrentHashMap.newKeySet();
    AtomicReference<String> violation = new AtomicReference<>();
    AtomicInteger rejected = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    List<Thread> adderThreads = new ArrayList<>();
    for (int a = 0; a < adders; a++) {
      Random rnd = new Random(seed * 31 + a);
      Thread t = new Thread(() -> {
        for (int i = 0; i < addsPerAdder; i++) {
          int k = rnd.nextInt(keys);
          version.incrementAndGet(k); // the "state change" a controller reacts to
          AddResult r = rnd.nextInt(8) == 0 ? q.addAfter(k, 1 + rnd.nextInt(2)) : q.add(k);
          if (!r.accepted()) {
            rejected.incrementAndGet();
          }
          if (rnd.nextInt(16) == 0) {
            Thread.yield();
          }
        }
      }, "adder-" + a);
      adderThreads.add(t);
    }
    for (int w = 0; w < workers; w++) {
      Random rnd = new Random(seed * 17 + w);
      threads.add(new Thread(() -> {
        try {
          while (true) {
            Integer k = q.get(100);
            if (k == null) {
              if (q.isShutDown()) {
                return;
              }
              continue;
            }
            if (!inFlight.add(k)) {
              violation.compareAndSet(null, "key " + k + " handed to two workers");
            }
            int v = version.get(k); // reconcile the current level
            seen.accumulateAndGet(k, v, Math::max);
            if (rnd.nextInt(4) == 0) {
              Thread.yield();
            }
            inFlight.remove(k);
            q.done(k);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "worker-" + w));
    }
    threads.forEach(Thread::start);
    adderThreads.forEach(Thread::start);
    for (Thread t : adderThreads) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((q.len() > 0 || q.processingLen() > 0 || q.delayedLen() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    q.shutDown();
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(t.isAlive()).as("worker stopped").isFalse();
    }
    assertThat(violation.get()).isNull();
    assertThat(rejected.get()).as("12 keys never fill a 64-key queue").isZero();
    List<String> lost = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      if (seen.get(k) != version.get(k)) {
        lost.add("key " + k + " last seen v" + seen.get(k) + " but is v" + version.get(k));
      }
    }
    assertThat(lost).as("seed " + seed).isEqualTo(Collections.emptyList());
  }
}
