package io.keel.server.raft;

import io.keel.kvstore.MvccStore;
import io.keel.kvstore.StoreCheckpoint;
import io.keel.proto.peer.SnapshotMeta;
import io.keel.raft.ConfState;
import io.keel.raft.codec.RaftCodec;
import io.keel.server.DaemonThreads;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a snapshot every {@code snapshotCount} applied entries, on the Raft loop's thread (a RocksDB checkpoint is
 * hard links plus a memtable flush; the per-file CRC32C reads it once, timed as
 * {@code keel.snapshot.checksum.duration{phase=write}}): checkpoint the store into a temporary directory, describe
 * it (ConfState, ClusterState, files with sizes and CRC32C), rename it into place, then record it in the log, which
 * compacts the in-memory log and releases WAL segments. Keeps the newest {@link #KEEP} snapshots.
 *
 * <p>When a snapshot falls due, the memtables are first flushed on a background thread while the Raft loop goes
 * on; the checkpoint is taken once that flush is done (or after {@link #MAX_PREFLUSH_WAIT_MS}), so its own flush
 * covers only what was written meanwhile. Without this the loop stalled ~1 s per 100,000 entries under load, long
 * enough for followers to start an election.
 */
final class Snapshotter {
  private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);
  static final int KEEP = 2;
  /** Longest the loop waits for a background pre-flush before checkpointing anyway (the checkpoint flushes). */
  static final long MAX_PREFLUSH_WAIT_MS = 10_000;
  /** Entry data kept in memory after a snapshot for lagging followers, at most (besides the entry-count bound). */
  static final long MAX_CATCH_UP_BYTES = 64L << 20;

  private final SnapshotStore snaps;
  private final MvccStore store;
  private final DurableLog log;
  private final ClusterState cluster;
  private boolean forced; // Raft thread only
  private final Supplier<ConfState> confState;
  private final long snapshotCount;
  private final long catchUpEntries;
  private final Timer duration;
  private final Counter taken;
  private long lastIndex;
  /** One background pre-flush at a time; its queue holds nothing else. */
  private final java.util.concurrent.ThreadPoolExecutor flusher;
  private java.util.concurrent.Future<?> preflush; // Raft thread only
  private long preflushStartNanos; // Raft thread only
  private final Timer preflushDuration;

  Snapshotter(SnapshotStore snaps, MvccStore store, DurableLog log, ClusterState cluster,
      Supplier<ConfState> confState, long snapshotCount, long catchUpEntries, MeterRegistry registry) {
    if (snapshotCount < 1 || catchUpEntries < 0) {
      throw new IllegalArgumentException("snapshotCount must be >= 1 and catchUpEntries >= 0");
    }
    this.snaps = snaps;
    this.store = store;
    this.log = log;
    this.cluster = cluster;
    this.confState = confState;
    this.snapshotCount = snapshotCount;
    this.catchUpEntries = catchUpEntries;
    this.lastIndex = log.snapshotIndex();
    this.duration = Timer.builder("keel.snapshot.duration").description("taking one periodic snapshot")
        .register(registry);
    this.taken = Counter.builder("keel.snapshot.taken").register(registry);
    this.preflushDuration = Timer.builder("keel.snapshot.preflush.duration")
        .description("background memtable flush before a periodic snapshot").register(registry);
    this.flusher = new java.util.concurrent.ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS,
        new java.util.concurrent.ArrayBlockingQueue<>(1), DaemonThreads.named("keel-snapshot-preflush"));
    flusher.allowCoreThreadTimeOut(true); // no idle thread between snapshots (nor after the member closes)
  }

  /** Called after each applied batch (and each Ready, so a due snapshot is taken even when writes stop). */
  void maybeSnapshot(long appliedIndex) {
    if (!(appliedIndex - lastIndex >= snapshotCount || (forced && appliedIndex > lastIndex))) {
      return;
    }
    if (preflush == null) {
      preflushStartNanos = System.nanoTime();
      try {
        preflush = flusher.submit(() -> {
          long start = System.nanoTime();
          store.flushMemtables();
          preflushDuration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
        return;
      } catch (java.util.concurrent.RejectedExecutionException e) {
        LOG.warn("snapshot pre-flush not started ({}); the checkpoint flushes everything itself", e.toString());
      }
    } else if (!preflush.isDone()
        && System.nanoTime() - preflushStartNanos < TimeUnit.MILLISECONDS.toNanos(MAX_PREFLUSH_WAIT_MS)) {
      return;
    }
    preflush = null;
    forced = false;
    take(appliedIndex);
  }

  /** Takes a snapshot after the next applied batch (a member was added: a snapshot it may need must list it). */
  void request() {
    forced = true;
  }

  /** A snapshot from the leader was installed at {@code index}: count from there. */
  void installed(long index) {
    lastIndex = Math.max(lastIndex, index);
  }

  void take(long index) {
    long start = System.nanoTime();
    Path tmp = snaps.root().resolve(String.format("%016x.tmp", index));
    try {
      StoreCheckpoint.deleteTree(tmp);
      Files.createDirectories(tmp);
      store.markApplied(index);
      long t0 = System.nanoTime();
      long held = store.checkpoint(tmp.resolve("db"));
      long t1 = System.nanoTime();
      if (held != index) {
        throw new IllegalStateException("checkpoint holds applied index " + held + ", snapshot is at " + index);
      }
      SnapshotMeta meta = snaps.describe(tmp.resolve("db"), index, log.term(index),
          RaftCodec.encodeConfState(confState.get()), cluster.current());
      SnapshotStore.writeMeta(tmp, meta);
      StoreCheckpoint.move(tmp, snaps.dir(index));
      long t2 = System.nanoTime();
      log.snapshotTaken(index, confState.get(), meta.toByteArray(), catchUpEntries, MAX_CATCH_UP_BYTES,
          store.appliedIndex());
      long t3 = System.nanoTime();
      snaps.retain(KEEP);
      LOG.debug("snapshot {}: checkpoint {} ms, describe and move {} ms, log compaction {} ms, retain {} ms",
          index, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000,
          (System.nanoTime() - t3) / 1_000_000);
    } catch (IOException e) {
      throw new UncheckedIOException("taking snapshot " + index + " failed", e);
    }
    lastIndex = index;
    taken.increment();
    long ns = System.nanoTime() - start;
    duration.record(ns, TimeUnit.NANOSECONDS);
    LOG.info("snapshot {} taken in {} ms; raft log compacted", index, TimeUnit.NANOSECONDS.toMillis(ns));
  }
}
