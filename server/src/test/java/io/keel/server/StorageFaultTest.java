package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single member's data dir damaged while it is stopped (after snapshots were taken): a torn WAL tail is
 * repaired with every acknowledged write kept; a flipped bit mid-segment, a missing WAL, a truncated snapshot file
 * or a corrupt snapshot description make it refuse to start with a message naming the file.
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

  void assertRefusesNaming(String fileName) {
    assertThatThrownBy(() -> c.start(0)).satisfies(e -> {
      StringBuilder all = new StringBuilder();
      for (Throwable t = e; t != null; t = t.getCause()) {
        all.append(t.getMessage()).append(" | ");
      }
      assertThat(all.toString()).contains(fileName);
    });
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
  void aCorruptSnapshotDescriptionIsRefusedNamingTheFile() throws IOException {
    Path meta = newestSnapshotDir().resolve("snap.meta");
    byte[] b = Files.readAllBytes(meta);
    b[b.length / 2] ^= 0x01;
    Files.write(meta, b);
    assertRefusesNaming(meta.toString());
  }
}
