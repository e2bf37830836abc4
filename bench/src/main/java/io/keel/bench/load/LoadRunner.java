package io.keel.bench.load;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Drives an {@link AsyncOperation} with closed-loop clients: each client keeps up to N requests in flight and
 * starts the next one when one finishes, until the request budget or the time limit runs out. Latencies go
 * into an HdrHistogram (nanoseconds). Optional rate limiting schedules request i at {@code start + i/rate}
 * and measures from that intended time (coordinated-omission aware).
 *
 * <p>Threading: requests complete on the caller's (e.g. gRPC's) threads; shared state is atomics plus a
 * concurrent histogram; one scheduler thread paces rate-limited sends. The run always ends: after the time
 * limit no new request starts, and the runner waits at most {@code drainMillis} more for stragglers.
 */
public final class LoadRunner {

  /** Highest latency the histogram tracks; larger values are clamped (1 hour). */
  static final long MAX_TRACKABLE_NANOS = TimeUnit.HOURS.toNanos(1);
  /** Distinct error messages kept; the rest are counted under one bucket. */
  static final int MAX_ERROR_KINDS = 64;
  private static final int MAX_SYNC_DEPTH = 16;

  private final LoadConfig config;
  private final AsyncOperation op;
  private final Runnable onCompletion;
  private final long drainMillis;

  private final ConcurrentHistogram latencies = new ConcurrentHistogram(1, MAX_TRACKABLE_NANOS, 3);
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final AtomicLong nextSeq = new AtomicLong();
  private final AtomicLong issued = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong lastEndNanos = new AtomicLong();
  private final AtomicBoolean hitTimeLimit = new AtomicBoolean();
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
  private CountDownLatch slotsDone;
  private ScheduledExecutorService pacer;
  private long startNanos;
  private long deadlineNanos;

  /**
   * @param onCompletion called after every finished request (e.g. to advance a progress bar); must be cheap
   * @param drainMillis how long to wait for in-flight requests after the time limit
   */
  public LoadRunner(LoadConfig config, AsyncOperation op, Runnable onCompletion, long drainMillis) {
    this.config = config;
    this.op = op;
    this.onCompletion = onCompletion;
    this.drainMillis = drainMillis;
  }

  /** Runs the load once and returns what was measured. Not reusable. */
  public synchronized LoadOutcome run() throws InterruptedException {
    if (slotsDone != null) {
      throw new IllegalStateException("a LoadRunner runs once");
    }
    int slots = Math.toIntExact(Math.min((long) config.clients() * config.maxOutstandingPerClient(), 10_000_000L));
    slotsDone = new CountDownLatch(slots);
    pacer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "load-pacer");
      t.setDaemon(true);
      return t;
    });
    startNanos = System.nanoTime();
    deadlineNanos = startNanos + TimeUnit.SECONDS.toNanos(config.maxSeconds());
    lastEndNanos.set(startNanos);
    try {
      for (int c = 0; c < config.clients(); c++) {
        for (int k = 0; k < config.maxOutstandingPerClient(); k++) {
          final int client = c;
          pacer.execute(() -> launch(client));
        }
      }
      long waitMillis = TimeUnit.SECONDS.toMillis(config.maxSeconds()) + drainMillis;
      slotsDone.await(waitMillis, TimeUnit.MILLISECONDS);
    } finally {
      pacer.shutdownNow();
    }
    long abandoned = issued.get() - completed.get();
    if (abandoned > 0) {
      errors.computeIfAbsent("abandoned: still in flight after the time limit", k -> new LongAdder()).add(abandoned);
    }
    Histogram snapshot = latencies.copy();
    Map<String, Long> errorCounts = new ConcurrentHashMap<>();
    errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
    long end = abandoned > 0 ? System.nanoTime() : lastEndNanos.get();
    return new LoadOutcome(snapshot, errorCounts, issued.get(), completed.get(), end - startNanos,
        hitTimeLimit.get(), abandoned);
  }

  private void launch(int client) {
    long now = System.nanoTime();
    if (now - deadlineNanos >= 0) {
      hitTimeLimit.set(true);
      slotsDone.countDown();
      return;
    }
    long seq = nextSeq.getAndIncrement();
    if (seq >= config.total()) {
      slotsDone.countDown();
      return;
    }
    if (config.ratePerSecond() > 0) {
      long intended = startNanos + (long) (seq * 1e9 / config.ratePerSecond());
      if (intended - deadlineNanos >= 0) {
        hitTimeLimit.set(true);
        slotsDone.countDown();
        return;
      }
      long delay = intended - now;
      if (delay > 0) {
        try {
          pacer.schedule(() -> send(client, seq, intended), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          slotsDone.countDown(); // the run is over
        }
        return;
      }
      send(client, seq, intended);
    } else {
      send(client, seq, now);
    }
  }

  private void send(int client, long seq, long intendedNanos) {
    issued.incrementAndGet();
    AtomicBoolean once = new AtomicBoolean();
    try {
      op.issue(client, seq, err -> {
        if (!once.compareAndSet(false, true)) {
          recordError("bug: completion called twice");
          return;
        }
        finish(client, intendedNanos, err);
      });
    } catch (RuntimeException e) {
      if (once.compareAndSet(false, true)) {
        finish(client, intendedNanos, e);
      }
    }
  }

  private void finish(int client, long intendedNanos, Throwable err) {
    long end = System.nanoTime();
    if (err == null) {
      latencies.recordValue(Math.max(1, Math.min(MAX_TRACKABLE_NANOS, end - intendedNanos)));
    } else {
      recordError(describe(err));
    }
    lastEndNanos.accumulateAndGet(end, Math::max);
    completed.incrementAndGet();
    onCompletion.run();
    int[] d = depth.get();
    if (d[0] >= MAX_SYNC_DEPTH) {
      // The operation completed synchronously many times in a row: continue on the pacer to bound the stack.
      try {
        pacer.execute(() -> launch(client));
      } catch (RejectedExecutionException e) {
        slotsDone.countDown(); // the run is over
      }
      return;
    }
    d[0]++;
    try {
      launch(client);
    } finally {
      d[0]--;
    }
  }

  private void recordError(String message) {
    String key = errors.size() >= MAX_ERROR_KINDS && !errors.containsKey(message) ? "other errors" : message;
    errors.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
