package io.keel.server.raft;

import io.keel.kvstore.MvccStore;
import io.keel.proto.peer.SnapshotMeta;
import io.keel.raft.Message;
import io.keel.raft.Snapshot;
import io.keel.raft.codec.RaftCodec;
import io.keel.server.peer.PeerTransport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft loop's three snapshot hooks: periodic snapshots ({@link Snapshotter}), sending a SNAP message as a
 * chunked stream of the snapshot's files (outcome reported back to Raft through the loop's inbox), and installing
 * a snapshot the leader sent (store swapped to the received checkpoint, cluster state replaced, WAL marked).
 */
final class Snapshots {
  private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);

  /** Reports a send's outcome to Raft (through the loop's inbox); false if it could not be queued. */
  @FunctionalInterface
  interface StatusSink {
    boolean report(long peer, boolean failed);
  }

  private final SnapshotStore snaps;
  private final Snapshotter snapshotter;
  private final MvccStore store;
  private final DurableLog log;
  private final ClusterState cluster;
  private final PeerTransport transport;
  private final Counter installs;
  private volatile StatusSink status = (p, f) -> false;

  Snapshots(SnapshotStore snaps, Snapshotter snapshotter, MvccStore store, DurableLog log, ClusterState cluster,
      PeerTransport transport, MeterRegistry registry) {
    this.snaps = snaps;
    this.snapshotter = snapshotter;
    this.store = store;
    this.log = log;
    this.cluster = cluster;
    this.transport = transport;
    this.installs = Counter.builder("keel.snapshot.installs").register(registry);
  }

  /** Wires the loop's inbox: status reports and received snapshots' Raft messages. */
  void connect(StatusSink statusSink, Predicate<byte[]> loopInbox) {
    this.status = statusSink;
    snaps.handoffTo(loopInbox);
  }

  long installed() {
    return (long) installs.count();
  }

  void maybeSnapshot(long appliedIndex) {
    snapshotter.maybeSnapshot(appliedIndex);
  }

  /** Sends a SNAP message: streams the snapshot it names. Raft thread; never blocks. */
  void send(Message m) {
    SnapshotMeta meta = SnapshotStore.fromRaft(m.snapshot());
    boolean started = transport.sendSnapshot(m.to(), meta, snaps.db(meta.getIndex()), RaftCodec.encodeMessage(m),
        (peer, ok) -> report(peer, !ok));
    if (!started) {
      LOG.debug("snapshot {} for {} not sent: a send to it is under way", meta.getIndex(), Long.toHexString(m.to()));
    }
  }

  /** Hands an outcome to the loop, retrying briefly while its inbox is full (off the loop's thread). */
  private void report(long peer, boolean failed) {
    for (int attempt = 0; attempt < 100 && !status.report(peer, failed); attempt++) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Installs the snapshot of a Ready (before its entries are persisted): the store becomes the received
   * checkpoint, the cluster state the snapshot's, and the log starts after it. Raft thread.
   */
  void install(Snapshot s) {
    SnapshotMeta meta = SnapshotStore.fromRaft(s);
    long index = meta.getIndex();
    try {
      // Sizes only: the receiver has just checked every byte against the CRC32C the leader recorded, and a full
      // re-read here would stall the Raft loop.
      snaps.verify(index, false);
    } catch (IOException e) {
      throw new UncheckedIOException("the snapshot raft installs is not on disk intact", e);
    }
    cluster.replace(meta.getClusterState()); // first: a crash before the swap leaves harmless, idempotent upserts
    store.restoreFrom(snaps.db(index));
    if (store.appliedIndex() != index) {
      throw new IllegalStateException("installed snapshot " + index + " holds applied index " + store.appliedIndex());
    }
    log.installSnapshot(s);
    snapshotter.installed(index);
    try {
      snaps.retain(Snapshotter.KEEP);
    } catch (IOException e) {
      LOG.warn("cannot delete old snapshots: {}", e.toString());
    }
    installs.increment();
    LOG.info("installed snapshot {} (term {}) from the leader: store at revision {}", index, meta.getTerm(),
        store.currentRevision());
  }
}
