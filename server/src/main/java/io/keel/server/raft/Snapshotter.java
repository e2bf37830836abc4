package io.keel.server.raft;

import io.keel.kvstore.MvccStore;
import io.keel.kvstore.StoreCheckpoint;
import io.keel.proto.peer.SnapshotMeta;
import io.keel.raft.ConfState;
import io.keel.raft.codec.RaftCodec;
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
 */
final class Snapshotter {
  private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);
  static final int KEEP = 2;

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
  }

  /** Called after each applied batch. */
  void maybeSnapshot(long appliedIndex) {
    if (appliedIndex - lastIndex >= snapshotCount || (forced && appliedIndex > lastIndex)) {
      forced = false;
      take(appliedIndex);
    }
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
      long held = store.checkpoint(tmp.resolve("db"));
      if (held != index) {
        throw new IllegalStateException("checkpoint holds applied index " + held + ", snapshot is at " + index);
      }
      SnapshotMeta meta = snaps.describe(tmp.resolve("db"), index, log.term(index),
          RaftCodec.encodeConfState(confState.get()), cluster.current());
      SnapshotStore.writeMeta(tmp, meta);
      StoreCheckpoint.move(tmp, snaps.dir(index));
      log.snapshotTaken(index, confState.get(), meta.toByteArray(), catchUpEntries, store.appliedIndex());
      snaps.retain(KEEP);
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
