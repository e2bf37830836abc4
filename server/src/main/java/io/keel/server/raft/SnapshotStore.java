package io.keel.server.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.kvstore.StoreCheckpoint;
import io.keel.proto.internal.ClusterStateFile;
import io.keel.proto.peer.SnapshotFile;
import io.keel.proto.peer.SnapshotMeta;
import io.keel.raft.Message;
import io.keel.raft.MessageType;
import io.keel.raft.Snapshot;
import io.keel.raft.SnapshotMetadata;
import io.keel.raft.codec.RaftCodec;
import io.keel.server.peer.SnapshotChecksums;
import io.keel.server.peer.SnapshotSink;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's snapshots on disk, under member/snap: one directory per snapshot named by its index (16 hex
 * digits), holding the RocksDB checkpoint in {@code db/} and {@code snap.meta} (a {@link SnapshotMeta} behind its
 * CRC32C; it lists every file with its size and CRC32C, so a truncated, missing or bit-flipped file is found before
 * use). Directories
 * appear only complete (built under a temporary name, then renamed). Also the {@link SnapshotSink} that received
 * snapshots are verified into.
 */
final class SnapshotStore implements SnapshotSink {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
  static final String META = "snap.meta";
  private static final String INCOMING = "incoming-";

  private final Path root;
  private volatile Predicate<byte[]> handoff = m -> false;
  private final Timer checksumWrite;
  private final Timer checksumStart;
  /**
   * CRC32C of RocksDB table files already read by {@link #describe}, by name, size and file identity (inode). A
   * table file never changes once written and a checkpoint hard-links the live store's, so each snapshot reads only
   * the tables written since the previous one instead of the whole store (which grew with the store, on the Raft
   * loop). A stale entry can only make a snapshot's recorded CRC disagree with its file, which every verify
   * refuses; it cannot let damaged data through. Raft thread only.
   */
  private Map<TableFile, Integer> tableCrcs = new HashMap<>();

  private long filesRead; // files whose CRC32C describe computed (tests)

  private record TableFile(String name, long size, Object fileKey) {}


  SnapshotStore(Path root, MeterRegistry registry) throws IOException {
    this.root = root;
    this.checksumWrite = SnapshotChecksums.timer(registry, "write");
    this.checksumStart = SnapshotChecksums.timer(registry, "start");
    Files.createDirectories(root);
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (parseIndex(p) < 0) {
          StoreCheckpoint.deleteTree(p); // an interrupted snapshot or transfer
        }
      }
    }
  }

  /** Where verified received snapshots' Raft messages go (the Raft loop's inbox); false if dropped. */
  void handoffTo(Predicate<byte[]> loopInbox) {
    this.handoff = loopInbox;
  }

  Path root() {
    return root;
  }

  Path dir(long index) {
    return root.resolve(String.format("%016x", index));
  }

  Path db(long index) {
    return dir(index).resolve("db");
  }

  private static long parseIndex(Path p) {
    String n = p.getFileName().toString();
    if (n.length() != 16 || !Files.isDirectory(p)) {
      return -1;
    }
    try {
      return Long.parseUnsignedLong(n, 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Indexes of the snapshots on disk, ascending. */
  List<Long> indexes() throws IOException {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.mapToLong(SnapshotStore::parseIndex).filter(i -> i > 0).sorted().forEach(out::add);
    }
    return out;
  }

  /** Describes a checkpoint directory: its files with their sizes and CRC32C (each file read once). */
  SnapshotMeta describe(Path db, long index, long term, byte[] confState, ClusterStateFile cluster)
      throws IOException {
    long start = System.nanoTime();
    SnapshotMeta.Builder b = SnapshotMeta.newBuilder().setIndex(index).setTerm(term)
        .setConfState(com.google.protobuf.ByteString.copyFrom(confState)).setClusterState(cluster);
    Map<TableFile, Integer> seen = new HashMap<>();
    for (Path f : StoreCheckpoint.files(db)) {
      BasicFileAttributes attrs = Files.readAttributes(f, BasicFileAttributes.class);
      long size = attrs.size();
      String name = f.getFileName().toString();
      TableFile table = name.endsWith(".sst") && attrs.fileKey() != null
          ? new TableFile(name, size, attrs.fileKey()) : null;
      Integer known = table == null ? null : tableCrcs.get(table);
      int crc;
      if (known != null) {
        crc = known;
      } else {
        crc = SnapshotChecksums.crc32c(f);
        filesRead++;
      }
      if (Files.size(f) != size) {
        throw new IOException("checkpoint file " + f + " changed while its checksum was computed");
      }
      if (table != null) {
        seen.put(table, crc);
      }
      b.addFiles(SnapshotFile.newBuilder().setName(name).setSizeBytes(size).setCrc32C(crc));
    }
    tableCrcs = seen; // only the files of the newest checkpoint: bounded by the store's table count
    checksumWrite.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    return b.build();
  }

  long filesRead() {
    return filesRead;
  }

  /** Writes {@code dir}/snap.meta durably: the CRC32C of the meta (4 bytes, big-endian), then the meta. */
  static void writeMeta(Path dir, SnapshotMeta meta) throws IOException {
    byte[] body = meta.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(body);
    ByteBuffer buf = ByteBuffer.allocate(4 + body.length).putInt((int) crc.getValue()).put(body).flip();
    try (FileChannel ch = FileChannel.open(dir.resolve(META), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    StoreCheckpoint.fsyncDir(dir.resolve("db"));
    StoreCheckpoint.fsyncDir(dir);
  }

  /**
   * Reads and checks the snapshot at {@code index}: the meta's checksum, every listed file present with its
   * recorded size and, when {@code contents}, with its recorded CRC32C (a full read of the snapshot; skipped, with a
   * log line, for files of a snapshot written before checksums were kept). Throws naming the damaged file.
   */
  SnapshotMeta verify(long index, boolean contents) throws IOException {
    Path metaFile = dir(index).resolve(META);
    if (!Files.isRegularFile(metaFile)) {
      throw new IOException("snapshot file " + metaFile + " is missing");
    }
    byte[] all = Files.readAllBytes(metaFile);
    if (all.length < 4) {
      throw new IOException("snapshot file " + metaFile + " is truncated (" + all.length + " bytes)");
    }
    CRC32C crc = new CRC32C();
    crc.update(all, 4, all.length - 4);
    if (ByteBuffer.wrap(all).getInt() != (int) crc.getValue()) {
      throw new IOException("snapshot file " + metaFile + " is corrupt (CRC32C mismatch)");
    }
    SnapshotMeta meta;
    try {
      meta = SnapshotMeta.parseFrom(Arrays.copyOfRange(all, 4, all.length));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("snapshot file " + metaFile + " is unreadable", e);
    }
    if (meta.getIndex() != index) {
      throw new IOException("snapshot file " + metaFile + " describes index " + meta.getIndex());
    }
    long start = System.nanoTime();
    int unchecked = SnapshotChecksums.verify(db(index), meta, contents);
    if (contents) {
      checksumStart.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (unchecked > 0) {
        LOG.warn("snapshot {}: {} of {} files have no recorded CRC32C (written before checksums were kept); "
            + "their contents are not checked", index, unchecked, meta.getFilesCount());
      }
    }
    return meta;
  }

  static Snapshot toRaft(SnapshotMeta meta) {
    return new Snapshot(new SnapshotMetadata(RaftCodec.decodeConfState(meta.getConfState().toByteArray()),
        meta.getIndex(), meta.getTerm()), meta.toByteArray());
  }

  static SnapshotMeta fromRaft(Snapshot s) {
    try {
      SnapshotMeta meta = SnapshotMeta.parseFrom(s.data());
      if (meta.getIndex() != s.metadata().index() || meta.getTerm() != s.metadata().term()) {
        throw new IllegalStateException("raft snapshot " + s.metadata() + " carries the description of snapshot "
            + meta.getIndex() + "/" + meta.getTerm());
      }
      return meta;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("raft snapshot " + s.metadata() + " carries no snapshot description", e);
    }
  }

  /**
   * The snapshot a restarting member starts from, given the WAL's snapshot marker and the store's applied index:
   * the newest one on disk between the two (a newer one than the marker means a crash came before the marker was
   * written). Null when there is none and the marker is 0. Throws, naming the file, when the one it needs is
   * damaged or missing, or when the store is older than the WAL's snapshot (its entries are gone from the WAL).
   */
  Snapshot forStart(long markerIndex, long storeApplied) throws IOException {
    if (markerIndex > storeApplied) {
      throw new IOException("the write-ahead log starts after snapshot " + markerIndex + " but the store in the "
          + "data directory has applied only up to index " + storeApplied + ": the store lost data; refusing to start");
    }
    List<Long> all = indexes();
    for (int k = all.size() - 1; k >= 0; k--) {
      long i = all.get(k);
      if (i <= storeApplied && i >= markerIndex) {
        SnapshotMeta meta = verify(i, true);
        LOG.info("starting from snapshot {} (term {}) in {}", i, meta.getTerm(), dir(i));
        return toRaft(meta);
      }
    }
    if (markerIndex > 0) {
      throw new IOException("snapshot " + markerIndex + " that the write-ahead log starts after is missing from "
          + root + " (expected " + dir(markerIndex) + "); refusing to start");
    }
    return null;
  }

  /** Deletes all but the newest {@code keep} snapshots. */
  void retain(int keep) throws IOException {
    List<Long> all = indexes();
    for (int k = 0; k < all.size() - keep; k++) {
      StoreCheckpoint.deleteTree(dir(all.get(k)));
    }
  }

  @Override
  public Path prepare(SnapshotMeta meta) throws IOException {
    Path tmp = root.resolve(INCOMING + String.format("%016x-%d", meta.getIndex(), System.nanoTime()));
    Path db = tmp.resolve("db");
    Files.createDirectories(db);
    return db;
  }

  @Override
  public void complete(SnapshotMeta meta, Path db, byte[] raftMessage) throws IOException {
    Message m = RaftCodec.decodeMessage(raftMessage);
    if (m.type() != MessageType.SNAP || m.snapshot() == null || !fromRaft(m.snapshot()).equals(meta)) {
      throw new IOException("the snapshot stream's Raft message does not describe snapshot " + meta.getIndex());
    }
    Path tmp = db.getParent();
    Path target = dir(meta.getIndex());
    if (Files.exists(target)) {
      StoreCheckpoint.deleteTree(tmp); // already here (a retry); keep the verified copy
    } else {
      writeMeta(tmp, meta);
      StoreCheckpoint.move(tmp, target);
    }
    if (!handoff.test(raftMessage)) {
      throw new IOException("the raft loop did not take the snapshot message (busy or stopped)");
    }
  }

  @Override
  public void abort(Path db) {
    try {
      StoreCheckpoint.deleteTree(db.getParent());
    } catch (IOException e) {
      LOG.warn("cannot delete the partial snapshot {}: {}", db.getParent(), e.toString());
    }
  }
}
