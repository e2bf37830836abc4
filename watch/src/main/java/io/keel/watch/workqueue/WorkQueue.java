package io.keel.watch.workqueue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A deduplicating, delaying work queue with client-go's semantics, for controllers.
 *
 * <ul>
 *   <li>{@link #add} merges repeated adds of a key that is still queued (level-triggered: a worker
 *       reconciles the key's current state once, however many changes arrived).</li>
 *   <li>A key is never handed to two workers at once: a key added while a worker holds it is queued
 *       again only when that worker calls {@link #done}.</li>
 *   <li>{@link #addAfter} holds a key until its delay passes; a second delayed add keeps the earlier time.</li>
 *   <li>Bounded: at most {@code maxItems} queued keys and {@code maxItems} delayed keys; a full queue
 *       rejects the add with {@link AddResult#REJECTED_FULL} instead of growing.</li>
 * </ul>
 *
 * <p>All state is guarded by one lock that is never held while blocking: {@link #get} waits on a
 * condition, which releases it.
 */
public class WorkQueue<K> {
  /** Default bound on queued (and, separately, on delayed) keys. */
  public static final int DEFAULT_MAX_ITEMS = 100_000;

  private final String name;
  private final int maxItems;
  private final Ticker ticker;
  final WorkQueueMetrics metrics;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<K> queue = new ArrayDeque<>();
  /** Keys that need processing: queued, or re-added while processing. Bounded by maxItems. */
  private final Map<K, Long> dirtySinceNanos = new HashMap<>();
  private final Map<K, Long> processingSinceNanos = new HashMap<>();
  private final Map<K, Delayed<K>> delayedByKey = new HashMap<>();
  private final TreeSet<Delayed<K>> delayedByTime = new TreeSet<>();
  private long delayedSeq;
  private boolean shuttingDown;

  private record Delayed<K>(K key, long readyAtNanos, long seq) implements Comparable<Delayed<K>> {
    @Override
    public int compareTo(Delayed<K> o) {
      int c = Long.compare(readyAtNanos - o.readyAtNanos, 0);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  /** A queue with the default bound, the system clock and its own {@link SimpleMeterRegistry}. */
  public WorkQueue(String name) {
    this(name, DEFAULT_MAX_ITEMS, Ticker.system(), new SimpleMeterRegistry());
  }

  public WorkQueue(String name, int maxItems, Ticker ticker, MeterRegistry registry) {
    if (maxItems < 1) {
      throw new IllegalArgumentException("maxItems must be >= 1: " + maxItems);
    }
    this.name = Objects.requireNonNull(name, "name");
    this.maxItems = maxItems;
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.metrics = new WorkQueueMetrics(Objects.requireNonNull(registry, "registry"), name);
  }

  public String name() {
    return name;
  }

  /** Marks {@code key} as needing processing. Never blocks. */
  public AddResult add(K key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      return addLocked(key);
    } finally {
      lock.unlock();
    }
  }

  private AddResult addLocked(K key) {
    if (shuttingDown) {
      return AddResult.SHUT_DOWN;
    }
    if (dirtySinceNanos.containsKey(key)) {
      return processingSinceNanos.containsKey(key) ? AddResult.QUEUED_AFTER_DONE : AddResult.ALREADY_QUEUED;
    }
    if (dirtySinceNanos.size() >= maxItems) {
      metrics.rejected.increment();
      return AddResult.REJECTED_FULL;
    }
    dirtySinceNanos.put(key, ticker.nanoTime());
    metrics.adds.increment();
    if (processingSinceNanos.containsKey(key)) {
      return AddResult.QUEUED_AFTER_DONE;
    }
    enqueueLocked(key);
    return AddResult.QUEUED;
  }

  private void enqueueLocked(K key) {
    queue.addLast(key);
    metrics.depth.set(queue.size());
    changed.signal();
  }

  /**
   * Adds {@code key} once {@code delayMs} has passed ({@code <= 0}: now). If the key is already waiting
   * with an earlier deadline, that deadline stays.
   */
  public AddResult addAfter(K key, long delayMs) {
    if (delayMs <= 0) {
      return add(key);
    }
    return addAfterNanos(key, TimeUnit.MILLISECONDS.toNanos(delayMs));
  }

  AddResult addAfterNanos(K key, long delayNanos) {
    Objects.requireNonNull(key, "key");
    if (delayNanos <= 0) {
      return add(key);
    }
    lock.lock();
    try {
      if (shuttingDown) {
        return AddResult.SHUT_DOWN;
      }
      long readyAt = ticker.nanoTime() + delayNanos;
      Delayed<K> existing = delayedByKey.get(key);
      if (existing != null) {
        if (readyAt - existing.readyAtNanos < 0) {
          delayedByTime.remove(existing);
          Delayed<K> earlier = new Delayed<>(key, readyAt, delayedSeq++);
          delayedByKey.put(key, earlier);
          delayedByTime.add(earlier);
          changed.signalAll();
        }
        return AddResult.DELAYED;
      }
      if (delayedByKey.size() >= maxItems) {
        metrics.rejected.increment();
        return AddResult.REJECTED_FULL;
      }
      Delayed<K> d = new Delayed<>(key, readyAt, delayedSeq++);
      delayedByKey.put(key, d);
      delayedByTime.add(d);
      assert delayedByKey.size() == delayedByTime.size();
      changed.signalAll();
      return AddResult.DELAYED;
    } finally {
      lock.unlock();
    }
  }

  /** Moves due delayed keys into the queue; returns nanos until the next one is due, or MAX_VALUE. */
  private long promoteDueLocked() {
    long now = ticker.nanoTime();
    while (!delayedByTime.isEmpty()) {
      Delayed<K> first = delayedByTime.first();
      long wait = first.readyAtNanos - now;
      if (wait > 0) {
        return wait;
      }
      delayedByTime.pollFirst();
      delayedByKey.remove(first.key);
      AddResult r = addLocked(first.key);
      if (r == AddResult.REJECTED_FULL) {
        // Keep it delayed rather than lose it; retry shortly.
        Delayed<K> retry = new Delayed<>(first.key, now + TimeUnit.MILLISECONDS.toNanos(10), delayedSeq++);
        delayedByKey.put(first.key, retry);
        delayedByTime.add(retry);
        return TimeUnit.MILLISECONDS.toNanos(10);
      }
    }
    return Long.MAX_VALUE;
  }

  /**
   * Waits up to {@code timeoutMs} for a key and hands it to the caller, who must call {@link #done}
   * with it. Returns null on timeout, or once the queue is shut down and drained.
   */
  public K get(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
    lock.lockInterruptibly();
    try {
      while (true) {
        long nextDueNanos = shuttingDown ? Long.MAX_VALUE : promoteDueLocked();
        K key = queue.pollFirst();
        if (key != null) {
          metrics.depth.set(queue.size());
          Long since = dirtySinceNanos.remove(key);
          assert since != null : "queued key not dirty: " + key;
          long now = ticker.nanoTime();
          metrics.recordQueueLatency(now - since);
          Long prev = processingSinceNanos.put(key, now);
          if (prev != null) {
            throw new IllegalStateException("work queue " + name + " handed out " + key + " twice");
          }
          metrics.unfinished.set(processingSinceNanos.size());
          return key;
        }
        if (shuttingDown) {
          return null;
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return null;
        }
        changed.awaitNanos(Math.min(remaining, nextDueNanos));
      }
    } finally {
      lock.unlock();
    }
  }

  /** Marks the worker's processing of {@code key} finished; re-queues it if it was added meanwhile. */
  public void done(K key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      Long since = processingSinceNanos.remove(key);
      if (since == null) {
        throw new IllegalStateException("done(" + key + ") on work queue " + name
            + " but no worker holds that key");
      }
      metrics.recordWork(ticker.nanoTime() - since);
      metrics.unfinished.set(processingSinceNanos.size());
      if (dirtySinceNanos.containsKey(key) && !shuttingDown) {
        enqueueLocked(key);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops accepting adds, drops delayed keys and wakes all waiting workers. Keys already queued are
   * still handed out; {@link #get} returns null once they are gone.
   */
  public void shutDown() {
    lock.lock();
    try {
      shuttingDown = true;
      delayedByKey.clear();
      delayedByTime.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public boolean isShutDown() {
    lock.lock();
    try {
      return shuttingDown;
    } finally {
      lock.unlock();
    }
  }

  /** Number of keys queued and ready for a worker (after moving due delayed keys in). */
  public int len() {
    lock.lock();
    try {
      if (!shuttingDown) {
        promoteDueLocked();
      }
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Number of keys waiting for their delay. */
  public int delayedLen() {
    lock.lock();
    try {
      return delayedByKey.size();
    } finally {
      lock.unlock();
    }
  }

  /** Number of keys held by workers. */
  public int processingLen() {
    lock.lock();
    try {
      return processingSinceNanos.size();
    } finally {
      lock.unlock();
    }
  }

  /** Snapshot of the keys held by workers (for tests and debugging). */
  Set<K> processingKeys() {
    lock.lock();
    try {
      return new HashSet<>(processingSinceNanos.keySet());
    } finally {
      lock.unlock();
    }
  }
}
