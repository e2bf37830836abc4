package io.keel.wal;

import static io.keel.wal.WalTestSupport.reopen;
import static io.keel.wal.WalTestSupport.small;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storage faults on real files: torn tails are repaired, everything else is refused with file + offset. */
class WalCorruptionTest {
  @TempDir Path dir;
  private static final int ENTRIES = 60;

  /** 60 one-entry records of ~1 KiB: several 16 KiB segments with few fsyncs. */
  @BeforeEach
  void writeLog() throws IOException {
    try (Wal w = Wal.open(small(dir))) {
      for (long i = 1; i <= ENTRIES; i++) {
        w.writeSync(big(i, i, 1), null);
      }
    }
    assertThat(Segments.list(dir).size()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void tornTailCutMidRecordIsRepairedAndLogContinues() throws IOException {
    Segments.Info last = lastSegment();
    List<Integer> offs = recordOffsets(last);
    int lastOff = offs.get(offs.size() - 1);
    try (FileChannel ch = FileChannel.open(last.path(), StandardOpenOption.WRITE)) {
      ch.truncate(lastOff + 20); // a crash mid-write: the file ends inside the last record
    }
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(big(1, ENTRIES - 1, 1));
    try (Wal w = Wal.open(small(dir))) {
      w.writeSync(big(ENTRIES, ENTRIES + 2, 2), null);
    }
    assertThat(reopen(small(dir)).entries()).containsExactlyElementsOf(
        WalTest.concat(big(1, ENTRIES - 1, 1), big(ENTRIES, ENTRIES + 2, 2)));
  }

  @Test
  void partiallyWrittenLastRecordFollowedByZerosIsRepaired() throws IOException {
    Segments.Info last = lastSegment();
    List<Integer> offs = recordOffsets(last);
    int lastOff = offs.get(offs.size() - 1);
    int end = endOfData(last);
    writeAt(last.path(), lastOff + 30, new byte[end - lastOff - 30]); // the record's second half never landed
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(big(1, ENTRIES - 1, 1));
    // the repair zeroed the torn bytes: the next open sees a clean tail
    assertThat(endOfData(lastSegment())).isEqualTo(lastOff);
  }

  @Test
  void everyCutPointInsideTheLastWriteIsRepairedToTheRecordBeforeIt() throws IOException {
    Segments.Info last = lastSegment();
    List<Integer> offs = recordOffsets(last);
    int lastOff = offs.get(offs.size() - 1);
    int end = endOfData(last);
    byte[] original = Files.readAllBytes(last.path());
    // a crash leaves a prefix of the last write on disk and zeros (the preallocated fill) after it
    for (int cut = lastOff; cut < end; cut += 13) {
      Files.write(last.path(), original);
      writeAt(last.path(), cut, new byte[end - cut]);
      Recovery.Result r = Recovery.run(dir);
      assertThat(r.tailOffset()).as("cut at %d", cut).isEqualTo(lastOff);
      assertThat(r.recovered().entries()).as("cut at %d", cut).containsExactlyElementsOf(big(1, ENTRIES - 1, 1));
      assertThat(endOfData(last)).isEqualTo(lastOff);
    }
    Files.write(last.path(), original);
    assertThat(Recovery.run(dir).recovered().entries()).containsExactlyElementsOf(big(1, ENTRIES, 1));
  }

  @Test
  void garbageThenZerosAfterTheLastRecordIsRepairedKeepingEveryRecord() throws IOException {
    Segments.Info last = lastSegment();
    int end = endOfData(last);
    byte[] garbage = new byte[57];
    new Random(42).nextBytes(garbage);
    garbage[0] = 0x7f; // an absurd length field
    writeAt(last.path(), end, garbage);
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(big(1, ENTRIES, 1));
    assertThat(endOfData(lastSegment())).isEqualTo(end);
  }

  @Test
  void flippedBitInTheMiddleOfTheLastSegmentIsRefusedWithFileAndOffset() throws IOException {
    Segments.Info last = lastSegment();
    List<Integer> offs = recordOffsets(last);
    int victim = offs.get(offs.size() / 2);
    assertRefusedAfterFlip(last, victim, victim + 30, "valid record follows");
  }

  @Test
  void flippedBitInANonLastSegmentIsRefused() throws IOException {
    Segments.Info first = Segments.list(dir).get(0);
    List<Integer> offs = recordOffsets(first);
    int victim = offs.get(offs.size() / 2);
    assertRefusedAfterFlip(first, victim, victim + 12, "CRC32C mismatch");
  }

  @Test
  void crcFailureInTheLastRecordOfANonLastSegmentIsRefused() throws IOException {
    Segments.Info first = Segments.list(dir).get(0);
    List<Integer> offs = recordOffsets(first);
    int victim = offs.get(offs.size() - 1);
    assertRefusedAfterFlip(first, victim, victim + 40, "not the last one");
  }

  @Test
  void zeroedLengthFieldWithDataAfterItIsRefused() throws IOException {
    Segments.Info last = lastSegment();
    List<Integer> offs = recordOffsets(last);
    int victim = offs.get(offs.size() / 2);
    byte[] before = Files.readAllBytes(last.path());
    writeAt(last.path(), victim, new byte[4]);
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(last.path().toString()).hasMessageContaining("offset " + victim + ":");
    assertThat(Files.readAllBytes(last.path())).isEqualTo(patched(before, victim, new byte[4]));
  }

  @Test
  void missingMiddleSegmentIsRefused() throws IOException {
    List<Segments.Info> segs = Segments.list(dir);
    Files.delete(segs.get(1).path());
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(segs.get(2).path().toString()).hasMessageContaining("missing segment");
  }

  @Test
  void missingMiddleSegmentIsRefusedEvenIfRenumbered() throws IOException {
    List<Segments.Info> segs = Segments.list(dir);
    Files.delete(segs.get(1).path());
    // rename the later segments down so the sequence has no gap: the index check must still catch it
    for (int k = 2; k < segs.size(); k++) {
      Segments.Info s = segs.get(k);
      Path renamed = dir.resolve(Segments.name(s.seq() - 1, s.firstIndex()));
      Files.move(s.path(), renamed);
      rewriteHeader(renamed, s.seq() - 1, s.firstIndex());
    }
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("but the log before it ends at index");
  }

  @Test
  void missingFirstSegmentWithoutSnapshotIsRefused() throws IOException {
    Segments.Info first = Segments.list(dir).get(0);
    Files.delete(first.path());
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("neither in the log nor covered by a snapshot");
  }

  @Test
  void corruptedSegmentHeaderIsRefused() throws IOException {
    Segments.Info last = lastSegment();
    writeAt(last.path(), 20, new byte[] {0x55});
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(last.path().toString()).hasMessageContaining("header CRC32C");
    Segments.Info first = Segments.list(dir).get(0);
    writeAt(first.path(), 0, new byte[] {'X'});
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(first.path().toString()).hasMessageContaining("offset 0: bad magic");
  }

  @Test
  void segmentWhoseNameDisagreesWithItsHeaderIsRefused() throws IOException {
    Segments.Info last = lastSegment();
    Path moved = dir.resolve(Segments.name(last.seq(), last.firstIndex() + 1));
    Files.move(last.path(), moved);
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(moved.toString()).hasMessageContaining("file name says");
  }

  private void assertRefusedAfterFlip(Segments.Info seg, int recordOffset, int flipAt, String reason)
      throws IOException {
    byte[] before = Files.readAllBytes(seg.path());
    byte[] flipped = {(byte) (before[flipAt] ^ 0x10)};
    writeAt(seg.path(), flipAt, flipped);
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(seg.path().toString()).hasMessageContaining("offset " + recordOffset + ":")
        .hasMessageContaining(reason)
        .satisfies(e -> assertThat(((WalCorruptionException) e).offset()).isEqualTo(recordOffset));
    // refusing never modifies the log
    assertThat(Files.readAllBytes(seg.path())).isEqualTo(patched(before, flipAt, flipped));
  }

  private static List<WalEntry> big(long from, long to, long term) {
    List<WalEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(new WalEntry(i, term, WalTestSupport.payload(i, term, 1000)));
    }
    return out;
  }

  private Segments.Info lastSegment() throws IOException {
    List<Segments.Info> segs = Segments.list(dir);
    return segs.get(segs.size() - 1);
  }

  static List<Integer> recordOffsets(Segments.Info seg) throws IOException {
    List<Integer> offs = new ArrayList<>();
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(seg.path()));
    SegmentScanner.scan(seg, buf, buf.capacity(), true, (r, off) -> offs.add(off));
    return offs;
  }

  static int endOfData(Segments.Info seg) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(seg.path()));
    return SegmentScanner.scan(seg, buf, buf.capacity(), true, (r, off) -> { }).validEnd();
  }

  static void writeAt(Path p, long at, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), at);
    }
  }

  private static void rewriteHeader(Path p, long seq, long firstIndex) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.write(Segments.header(seq, firstIndex), 0);
    }
  }

  private static byte[] patched(byte[] base, int at, byte[] with) {
    byte[] out = base.clone();
    System.arraycopy(with, 0, out, at, with.length);
    return out;
  }
}
