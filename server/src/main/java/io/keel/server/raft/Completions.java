package io.keel.server.raft;

import io.keel.server.DaemonThreads;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Answers clients off the Raft thread. Completing a write's or a read's future runs its continuation (encoding
 * and writing the gRPC response; for a linearizable read, the RocksDB range itself), which must not delay the
 * next Ready. The Raft loop collects one Ready's completions and hands them over as a few tasks (not one per
 * request); a small batch (a lone client) is run on the Raft thread, since a hand-off costs more than it saves.
 * Bounded: when the queue is full the Raft thread runs the batch itself (back-pressure, nothing dropped). Every
 * completion is queued only after its entry was applied (or its read index reached), so handing off cannot
 * answer anything early.
 */
final class Completions implements AutoCloseable {
  /** Batches up to this size are completed on the Raft thread. */
  static final int INLINE_MAX = 8;
  /** Completions per task handed to the pool (so a big batch uses every pool thread). */
  static final int CHUNK = 64;

  private final ThreadPoolExecutor pool;
  private final Counter inline;
  private final Counter handedOff;
  private List<Runnable> batch = new ArrayList<>();

  Completions(String name, int threads, int queueCapacityTasks, MeterRegistry registry) {
    this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(queueCapacityTasks), DaemonThreads.numbered(name),
        // full or shut down: the caller runs it (CallerRunsPolicy would discard it after shutdown, leaving a
        // client to time out)
        (task, executor) -> task.run());
    this.inline = Counter.builder("keel.raft.completions").tag("where", "raft_thread").register(registry);
    this.handedOff = Counter.builder("keel.raft.completions").tag("where", "pool").register(registry);
  }

  /** Adds one completion to the current batch. Raft thread only. */
  void add(Runnable completion) {
    batch.add(completion);
  }

  /** Runs or hands off the current batch. Raft thread only. */
  void flush() {
    int size = batch.size();
    if (size == 0) {
      return;
    }
    List<Runnable> full = batch;
    batch = new ArrayList<>();
    if (size <= INLINE_MAX || pool.isShutdown()) {
      inline.increment(size);
      runAll(full);
      return;
    }
    handedOff.increment(size);
    for (int from = 0; from < size; from += CHUNK) {
      List<Runnable> chunk = full.subList(from, Math.min(size, from + CHUNK));
      pool.execute(() -> runAll(chunk));
    }
  }

  private static void runAll(List<Runnable> tasks) {
    for (Runnable r : tasks) {
      r.run(); // futures' continuations handle their own failures (gRPC answers with an error status)
    }
  }

  @Override
  public void close() {
    pool.shutdown();
    try {
      pool.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
