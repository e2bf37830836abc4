package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.proto.peer.SnapshotFile;
import io.keel.proto.peer.SnapshotMeta;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single member's data dir damaged while it is stopped (after snapshots were taken): a torn WAL tail is
 * repaired with every acknowledged write kept; a flipped bit mid-segment, a missing WAL, a truncated snapshot file,
 * a flipped bit in a snapshot's RocksDB file (CRC32C per file) or a corrupt snapshot description make it refuse to
 * start with a message naming the file. A snapshot written before per-file checksums were kept still starts.
 */
class StorageFaultTest {
  @TempDir Path dir;
  MemberCluster c;
  Set<String> acked;

  @BeforeEach
  void writeThenStop() throws IOException {
    c = MemberCluster.builder(dir, 1).snapshotCount(100).build();
    c.startAll();
    c.awaitLeader();
    acked = c.put(0, 0, 250);
    c.stop(0);
  }

  @AfterEach
  void stop() {
    c.close();
  }

  Path member() {
    return c.dataDir(0).resolve("member");
  }

  Path lastSegment() throws IOException {
    return SnapshotReplicationTest.walSegments(c.dataDir(0)).stream().max(Comparator.naturalOrder()).orElseThrow();
  }

  /** Offset just past the last non-zero byte (segments are preallocated with zeros). */
  static long dataEnd(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    int end = all.length;
    while (end > 0 && all[end - 1] == 0) {
      end--;
    }
    return end;
  }

  Path newestSnapshotDir() throws IOException {
    List<Long> idx = SnapshotReplicationTest.snapshotIndexes(c.dataDir(0));
    assertThat(idx).isNotEmpty();
    return member().resolve("snap").resolve(String.format("%016x", idx.get(idx.size() - 1)));
  }

  void assertRefusesNaming(String... fragments) {
    assertThatThrownBy(() -> c.start(0)).satisfies(e -> {
      StringBuilder all = new StringBuilder();
      for (Throwable t = e; t != null; t = t.getCause()) {
        all.append(t.getMessage()).append(" | ");
      }
      assertThat(all.toString()).contains(fragments);
    });
  }

  static void flipBit(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x04);
    }
  }

  /** A snapshot's description, behind its 4-byte CRC32C (SnapshotStore's format). */
  static SnapshotMeta readMeta(Path snapDir) throws IOException {
    byte[] all = Files.readAllBytes(snapDir.resolve("snap.meta"));
    return SnapshotMeta.parseFrom(java.util.Arrays.copyOfRange(all, 4, all.length));
  }

  static void writeMeta(Path snapDir, SnapshotMeta meta) throws IOException {
    byte[] body = meta.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(body);
    Files.write(snapDir.resolve("snap.meta"),
        ByteBuffer.allocate(4 + body.length).putInt((int) crc.getValue()).put(body).array());
  }

  @Test
  void aTornWalTailIsRepairedAndEveryAcknowledgedWriteKept() throws IOException {
    Path seg = lastSegment();
    long end = dataEnd(seg);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(end + 8);
      f.write(new byte[] {0, 0, 1, 0, 7, 7, 7, 7, 7, 7, 7, 7, 7}); // half a record: a crash mid-append
    }
    c.start(0);
    assertThat(c.keysOn(0, false)).isEqualTo(acked);
    assertThat(c.put(0, 250, 260)).hasSize(10);
  }

  @Test
  void aFlippedBitMidSegmentIsRefusedNamingTheSegment() throws IOException {
    Path seg = lastSegment();
    long mid = dataEnd(seg) / 2;
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(mid);
      int b = f.read();
      f.seek(mid);
      f.write(b ^ 0x10);
    }
    assertRefusesNaming(seg.getFileName().toString());
  }

  @Test
  void aMissingWalIsRefusedRatherThanStartingWithoutTheVotesAndEntries() throws IOException {
    for (Path seg : SnapshotReplicationTest.walSegments(c.dataDir(0))) {
      Files.delete(seg);
    }
    assertRefusesNaming(member().resolve("wal").toString());
  }

  @Test
  void aTruncatedSnapshotFileIsRefusedNamingTheFile() throws IOException {
    Path db = newestSnapshotDir().resolve("db");
    Path largest;
    try (Stream<Path> s = Files.list(db)) {
      largest = s.max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(largest.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    assertRefusesNaming(largest.toString());
  }

  @Test
  void aFlippedBitInASnapshotSstFileIsRefusedNamingTheFile() throws IOException {
    Path db = newestSnapshotDir().resolve("db");
    Path sst;
    try (Stream<Path> s = Files.list(db)) {
      sst = s.filter(p -> p.toString().endsWith(".sst")).max(Comparator.comparingLong(p -> p.toFile().length()))
          .orElseThrow();
    }
    // A checkpoint's .sst files are hard links to the live store's: a flip there damages both, and RocksDB refuses
    // the store at open. Here only the snapshot's copy is damaged (its own inode), which RocksDB never reads.
    Path copy = sst.resolveSibling("copy.tmp");
    Files.copy(sst, copy);
    Files.move(copy, sst, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    long size = Files.size(sst);
    flipBit(sst, size / 3);
    assertThat(Files.size(sst)).isEqualTo(size);
    assertRefusesNaming(sst.toString(), "is corrupt (CRC32C mismatch)");
  }

  @Test
  void aFlippedBitInASnapshotCurrentFileIsRefusedNamingTheFile() throws IOException {
    Path current = newestSnapshotDir().resolve("db").resolve("CURRENT");
    flipBit(current, 2);
    assertRefusesNaming(current.toString(), "is corrupt (CRC32C mismatch)");
  }

  @Test
  void anIntactSnapshotRecordsAChecksumPerFileAndStarts() throws IOException {
    SnapshotMeta meta = readMeta(newestSnapshotDir());
    assertThat(meta.getFilesList()).isNotEmpty().allSatisfy(f -> assertThat(f.hasCrc32C()).as(f.getName()).isTrue());
    assertThat(meta.getFilesList()).extracting(SnapshotFile::getName).contains("CURRENT")
        .anySatisfy(n -> assertThat(n).endsWith(".sst"));
    c.start(0);
    assertThat(c.keysOn(0, false)).isEqualTo(acked);
  }

  @Test
  void aSnapshotWrittenBeforeChecksumsWereKeptStillStarts() throws IOException {
    Path snap = newestSnapshotDir();
    SnapshotMeta.Builder old = readMeta(snap).toBuilder();
    for (int i = 0; i < old.getFilesCount(); i++) {
      old.setFiles(i, old.getFiles(i).toBuilder().clearCrc32C());
    }
    writeMeta(snap, old.build());
    c.start(0);
    assertThat(c.keysOn(0, false)).isEqualTo(acked);
    assertThat(c.put(0, 250, 260)).hasSize(10);
  }

  @Test
  void aCorruptSnapshotDescriptionIsRefusedNamingTheFile() throws IOException {
    Path meta = newestSnapshotDir().resolve("snap.meta");
    byte[] b = Files.readAllBytes(meta);
    b[b.length / 2] ^= 0x01;
    Files.write(meta, b);
    assertRefusesNaming(meta.toString());
  }
}
