package io.keel.server.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.internal.WalMetadata;
import io.keel.raft.ConfChange;
import io.keel.raft.ConfChangeType;
import io.keel.raft.ConfState;
import io.keel.raft.Entry;
import io.keel.raft.EntryType;
import io.keel.raft.HardState;
import io.keel.raft.MemoryStorage;
import io.keel.raft.Ready;
import io.keel.raft.Snapshot;
import io.keel.raft.SnapshotMetadata;
import io.keel.raft.Storage;
import io.keel.raft.codec.RaftCodec;
import io.keel.wal.Recovered;
import io.keel.wal.SnapshotMarker;
import io.keel.wal.Wal;
import io.keel.wal.WalEntry;
import io.keel.wal.WalOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raft's log on disk. The WAL is the durable copy; a {@link MemoryStorage} is the read view Raft consults (as
 * etcd pairs its WAL with raft's MemoryStorage). {@link #persist(Ready)} writes and fsyncs before returning, so
 * nothing that depends on a Ready's entries or hard state leaves the member before they are durable.
 */
final class DurableLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DurableLog.class);

  private final Wal wal;
  private final MemoryStorage memory;
  private final WalMetadata metadata;

  private DurableLog(Wal wal, MemoryStorage memory, WalMetadata metadata) {
    this.wal = wal;
    this.memory = memory;
    this.metadata = metadata;
  }

  /**
   * Opens (or creates) the log. A log written by another member or cluster is refused: pointing a member at
   * the wrong data directory must never merge two histories.
   */
  /** Picks the snapshot a restart starts from, given the WAL's snapshot marker index (see SnapshotStore). */
  @FunctionalInterface
  interface StartSnapshot {
    Snapshot choose(long markerIndex) throws IOException;
  }

  static DurableLog open(Path dir, WalMetadata expected, StartSnapshot startSnapshot, MeterRegistry registry)
      throws IOException {
    return open(dir, expected, startSnapshot, registry, false);
  }

  /** As above; {@code unsafeSkipFsync} (testing only, see WalOptions.unsafeSkipFsync) drops the WAL's record fsyncs. */
  static DurableLog open(Path dir, WalMetadata expected, StartSnapshot startSnapshot, MeterRegistry registry,
      boolean unsafeSkipFsync) throws IOException {
    if (unsafeSkipFsync) {
      LOG.error("UNSAFE TESTING FAULT skip-fsync: the write-ahead log in {} does NOT fsync appended entries or hard "
          + "state; acknowledged writes can be lost on a crash. Never use this outside the chaos suite.", dir);
    }
    Wal wal = Wal.open(WalOptions.of(dir).metadata(expected.toByteArray()).meterRegistry(registry)
        .unsafeSkipFsync(unsafeSkipFsync));
    try {
      Recovered rec = wal.recovered();
      WalMetadata stored = parse(rec.metadata(), dir);
      if (stored.getClusterId() != expected.getClusterId() || stored.getMemberId() != expected.getMemberId()) {
        throw new IOException(String.format("the write-ahead log in %s belongs to member %x of cluster %x, "
            + "but this member is %x of cluster %x: refusing to start", dir, stored.getMemberId(),
            stored.getClusterId(), expected.getMemberId(), expected.getClusterId()));
      }
      long[] voters = stored.getInitialVotersList().stream().mapToLong(Long::longValue).toArray();
      List<WalEntry> logged = rec.entries();
      io.keel.wal.HardState hs = rec.hardState();
      SnapshotMarker marker = rec.snapshotMarker();
      Snapshot start = startSnapshot.choose(marker.index());
      if (logged.isEmpty() && hs.isEmpty() && marker.index() == 0) {
        if (start != null) {
          throw new IOException("the write-ahead log in " + dir + " is empty but snapshot " + start.metadata().index()
              + " exists: the log (and this member's votes) was lost; refusing to start");
        }
        logged = bootstrap(wal, voters);
        hs = new io.keel.wal.HardState(1, 0, voters.length);
      }
      MemoryStorage mem = MemoryStorage.withVoters(voters);
      if (start != null) {
        SnapshotMetadata sm = start.metadata();
        if (sm.index() > marker.index()) {
          LOG.warn("raft log {}: snapshot {} is newer than the log's marker {} (a crash came between them); "
              + "recording it", dir, sm.index(), marker.index());
          wal.markSnapshot(sm.index(), sm.term());
        }
        mem.applySnapshot(start);
        marker = new SnapshotMarker(sm.index(), sm.term());
        hs = new io.keel.wal.HardState(hs.term(), hs.vote(), Math.max(hs.commit(), sm.index()));
      }
      List<Entry> entries = new ArrayList<>(logged.size());
      for (WalEntry we : logged) {
        Entry e = RaftCodec.decodeEntry(we.data());
        if (e.index() != we.index() || e.term() != we.term()) {
          throw new IOException("write-ahead log record at index " + we.index() + " holds entry " + e.index()
              + "/" + e.term() + ": refusing to start on an inconsistent log in " + dir);
        }
        entries.add(e);
      }
      mem.append(entries);
      mem.setHardState(new HardState(hs.term(), hs.vote(), hs.commit()));
      LOG.info("raft log {}: {} entries after snapshot {}, hard state term={} vote={} commit={}", dir,
          entries.size(), marker.index(), hs.term(), Long.toHexString(hs.vote()), hs.commit());
      return new DurableLog(wal, mem, stored);
    } catch (IOException | RuntimeException e) {
      wal.close();
      throw e;
    }
  }

  /**
   * A new cluster's first entries, as etcd writes them: one committed "add voter" per initial member at term 1.
   * Every member of a new cluster writes the same ones, so their logs agree from index 1.
   */
  private static List<WalEntry> bootstrap(Wal wal, long[] voters) {
    List<WalEntry> entries = new ArrayList<>();
    for (int i = 0; i < voters.length; i++) {
      Entry e = new Entry(1, i + 1, EntryType.CONF_CHANGE,
          RaftCodec.encodeConfChange(ConfChange.of(ConfChangeType.ADD_NODE, voters[i])));
      entries.add(new WalEntry(e.index(), e.term(), RaftCodec.encodeEntry(e)));
    }
    wal.writeSync(entries, new io.keel.wal.HardState(1, 0, voters.length));
    LOG.info("bootstrapped a new raft log with {} voters", voters.length);
    return entries;
  }

  /**
   * Who wrote the write-ahead log in {@code dir} (its head's metadata), or null when there is none yet: how a
   * member that joined an existing cluster learns its ids again on restart, as etcd reads them from its WAL.
   */
  static WalMetadata existingMetadata(Path dir) throws IOException {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return null;
    }
    try (var files = java.nio.file.Files.list(dir)) {
      if (files.noneMatch(f -> f.getFileName().toString().endsWith(".wal"))) {
        return null;
      }
    }
    try (Wal wal = Wal.open(WalOptions.of(dir).metadata(new byte[0])
        .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))) {
      return parse(wal.recovered().metadata(), dir);
    }
  }

  private static WalMetadata parse(byte[] bytes, Path dir) throws IOException {
    try {
      return WalMetadata.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("unreadable metadata at the head of the write-ahead log in " + dir, e);
    }
  }

  Storage storage() {
    return memory;
  }

  WalMetadata metadata() {
    return metadata;
  }

  /**
   * Durably writes the Ready's entries and hard state (one fsync), then exposes them to Raft. A Ready whose only
   * change is the commit index is not written (Raft's mustSync=false, as etcd skips the sync): the commit index
   * is re-learnt from the leader, and on restart it is raised to the store's applied index
   * ({@link #raiseCommitTo}).
   */
  void persist(Ready rd) {
    if (rd.snapshot() != null && memory.snapshot().metadata().index() < rd.snapshot().metadata().index()) {
      throw new IllegalStateException("a Ready's snapshot " + rd.snapshot().metadata() + " must be installed "
          + "before its entries are persisted");
    }
    if (rd.entries().isEmpty() && rd.hardState() == null) {
      return;
    }
    if (rd.entries().isEmpty() && !rd.mustSync()) {
      memory.setHardState(rd.hardState());
      return;
    }
    List<WalEntry> out = new ArrayList<>(rd.entries().size());
    for (Entry e : rd.entries()) {
      out.add(new WalEntry(e.index(), e.term(), RaftCodec.encodeEntry(e)));
    }
    HardState hs = rd.hardState();
    // A follower catching up may get more entries in one Ready than one WAL record holds (seen: 4.7 MB after
    // a member re-joined empty): written as several records, the term and vote first, the new commit last.
    io.keel.wal.HardState prefix = hs == null ? null
        : new io.keel.wal.HardState(hs.term(), hs.vote(), memory.hardState().commit());
    wal.writeSyncSplit(out, prefix, hs == null ? null : new io.keel.wal.HardState(hs.term(), hs.vote(), hs.commit()));
    memory.append(rd.entries());
    if (hs != null) {
      memory.setHardState(hs);
    }
  }

  /** The last index in the in-memory log (entries the loop appended but not yet persisted are not counted). */
  long lastIndex() {
    return memory.lastIndex();
  }

  long snapshotIndex() {
    return memory.snapshot().metadata().index();
  }

  long term(long index) {
    return memory.term(index);
  }

  /**
   * Records a snapshot taken at {@code index} (already durable in the snapshot store): the WAL's marker, the
   * snapshot Raft sends to slow followers, then compaction of the in-memory log keeping {@code catchUpEntries}
   * for followers slightly behind, and release of WAL segments wholly before the snapshot (the store holds them).
   */
  void snapshotTaken(long index, ConfState cs, byte[] data, long catchUpEntries, long maxCatchUpBytes,
      long storeApplied) {
    if (storeApplied < index) {
      throw new IllegalStateException("snapshot " + index + " is past the store's applied index " + storeApplied);
    }
    wal.markSnapshot(index, memory.term(index));
    memory.createSnapshot(index, cs, data);
    long compactTo = catchUpStart(index, catchUpEntries, maxCatchUpBytes) - 1;
    if (compactTo >= memory.firstIndex()) {
      memory.compact(compactTo);
    }
    wal.releaseBefore(index);
  }

  /**
   * First entry kept in memory for followers that lag: at most {@code catchUpEntries} entries up to {@code index}
   * whose data adds up to at most {@code maxBytes} (a follower further behind gets a snapshot).
   */
  private long catchUpStart(long index, long catchUpEntries, long maxBytes) {
    long lo = Math.max(memory.firstIndex(), index - catchUpEntries + 1);
    if (lo > index) {
      return index + 1;
    }
    List<Entry> kept = memory.entries(lo, index + 1, Long.MAX_VALUE);
    long bytes = 0;
    for (int i = kept.size() - 1; i >= 0; i--) {
      bytes += kept.get(i).dataLength();
      if (bytes > maxBytes) {
        return lo + i + 1;
      }
    }
    return lo;
  }

  /**
   * Records a snapshot from the leader that the store now holds: the WAL's marker (so a restart starts after it),
   * then the in-memory log is replaced by it.
   */
  void installSnapshot(Snapshot s) {
    wal.markSnapshot(s.metadata().index(), s.metadata().term());
    memory.applySnapshot(s);
  }

  /**
   * After a restart the logged commit index may trail what the store applied (commit-only changes are not
   * synced). Everything applied was committed and its entries are in this log, so commit can be raised to it.
   */
  void raiseCommitTo(long appliedIndex) {
    HardState hs = memory.hardState();
    if (appliedIndex > hs.commit()) {
      if (appliedIndex > memory.lastIndex()) {
        throw new IllegalStateException("the store applied index " + appliedIndex + " is past the raft log's last "
            + "index " + memory.lastIndex() + ": the write-ahead log lost acknowledged entries; refusing to start");
      }
      memory.setHardState(new HardState(hs.term(), hs.vote(), appliedIndex));
    }
  }

  @Override
  public void close() {
    wal.close();
  }
}
