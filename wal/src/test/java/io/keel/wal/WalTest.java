package io.keel.wal;

import static io.keel.wal.WalTestSupport.entries;
import static io.keel.wal.WalTestSupport.entry;
import static io.keel.wal.WalTestSupport.reopen;
import static io.keel.wal.WalTestSupport.small;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalTest {
  private static final byte[] FIXED = WalTestSupport.payload(0, 0, 100);
  @TempDir Path dir;

  @Test
  void roundTripAndReopen() throws Exception {
    try (Wal w = Wal.open(small(dir))) {
      assertThat(w.recovered().entries()).isEmpty();
      assertThat(w.recovered().hardState()).isEqualTo(HardState.EMPTY);
      assertThat(new String(w.recovered().metadata())).isEqualTo("cluster-1/member-7");
      w.writeSync(entries(1, 3, 1), new HardState(1, 2, 0));
      w.append(entries(4, 5, 1), new HardState(1, 2, 3)).get();
      w.append(List.of(), new HardState(2, 0, 3)).get();
    }
    Recovered r = reopen(small(dir).metadata("ignored for an existing log".getBytes()));
    assertThat(r.entries()).containsExactlyElementsOf(entries(1, 5, 1));
    assertThat(r.hardState()).isEqualTo(new HardState(2, 0, 3));
    assertThat(r.snapshotMarker()).isEqualTo(SnapshotMarker.NONE);
    assertThat(new String(r.metadata())).isEqualTo("cluster-1/member-7");
    assertThat(r.lastIndex()).isEqualTo(5);
    // appending after a reopen continues the same log
    try (Wal w = Wal.open(small(dir))) {
      w.writeSync(entries(6, 6, 2), null);
    }
    assertThat(reopen(small(dir)).entries()).containsExactlyElementsOf(
        concat(entries(1, 5, 1), entries(6, 6, 2)));
  }

  @Test
  void aWriteLargerThanOneRecordIsSplitInOrderAndRecoveredWhole() throws Exception {
    List<WalEntry> many = entries(2, 201, 3); // ~20 KB of entries: at least five 4 KB records
    try (Wal w = Wal.open(small(dir))) {
      w.writeSync(entries(1, 1, 1), new HardState(1, 0, 1));
      assertThatThrownBy(() -> w.writeSync(many, new HardState(3, 0, 150)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds maxRecordBytes");
      w.writeSyncSplit(many, new HardState(3, 0, 1), new HardState(3, 0, 150));
      assertThatThrownBy(() -> w.writeSyncSplit(List.of(new WalEntry(202, 3, new byte[5000])), null, null))
          .as("one entry larger than a record").isInstanceOf(IllegalArgumentException.class);
      w.writeSyncSplit(entries(202, 203, 3), null, new HardState(3, 0, 203)); // one record: as writeSync
    }
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(concat(concat(entries(1, 1, 1), many), entries(202, 203, 3)));
    assertThat(r.hardState()).isEqualTo(new HardState(3, 0, 203));
  }

  @Test
  void rollsSegmentsAndKeepsStateAcrossThem() throws Exception {
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Wal w = Wal.open(small(dir).meterRegistry(reg))) {
      for (long i = 1; i <= 600; i++) {
        w.writeSync(List.of(entry(i, 3)), new HardState(3, 1, i - 1));
      }
    }
    List<Segments.Info> segs = Segments.list(dir);
    assertThat(segs.size()).isGreaterThan(3);
    assertThat(segs.get(0).path().getFileName().toString()).isEqualTo("0000000000000001-0000000000000001.wal");
    for (Segments.Info s : segs) {
      assertThat(Files.size(s.path())).isEqualTo(WalTestSupport.SMALL_SEGMENT_BYTES);
    }
    assertThat(reg.get("keel.wal.segments.rolled").counter().count()).isEqualTo(segs.size() - 1);
    assertThat(reg.get("keel.wal.fsyncs").counter().count()).isGreaterThanOrEqualTo(600);
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(entries(1, 600, 3));
    assertThat(r.hardState()).isEqualTo(new HardState(3, 1, 599));
  }

  @Test
  void unsafeSkipFsyncWritesWithoutRecordFsyncsAndIsOffByDefault() throws Exception {
    assertThat(small(dir).unsafeSkipFsync()).isFalse();
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Wal w = Wal.open(small(dir).unsafeSkipFsync(true).meterRegistry(reg))) {
      for (long i = 1; i <= 600; i++) {
        w.writeSync(List.of(entry(i, 3)), new HardState(3, 1, i - 1));
      }
    }
    assertThat(Segments.list(dir).size()).as("segments rolled").isGreaterThan(3);
    assertThat(reg.get("keel.wal.fsyncs").counter().count()).as("record fsyncs").isZero();
    // Without a crash nothing is lost: the page cache still holds every record.
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(entries(1, 600, 3));
    assertThat(r.hardState()).isEqualTo(new HardState(3, 1, 599));
  }

  @Test
  void laterRecordsOverwriteASuffix() throws Exception {
    try (Wal w = Wal.open(small(dir))) {
      w.writeSync(entries(1, 10, 1), new HardState(1, 1, 4));
      // new leader in term 2 replaces 6.. with its own entries, which end earlier
      w.writeSync(entries(6, 7, 2), new HardState(2, 0, 4));
    }
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(concat(entries(1, 5, 1), entries(6, 7, 2)));
    try (Wal w = Wal.open(small(dir))) {
      // and again across many segments: write 8..400 in term 2, then overwrite from 8 in term 3
      for (long i = 8; i <= 400; i += 10) {
        w.writeSync(entries(i, i + 9, 2), null);
      }
      w.writeSync(entries(8, 9, 3), new HardState(3, 0, 5));
    }
    r = reopen(small(dir));
    assertThat(Segments.list(dir).size()).isGreaterThan(2);
    assertThat(r.entries()).containsExactlyElementsOf(
        concat(concat(entries(1, 5, 1), entries(6, 7, 2)), entries(8, 9, 3)));
    assertThat(r.lastIndex()).isEqualTo(9);
  }

  @Test
  void refusesWritesThatBreakTheLog() throws Exception {
    try (Wal w = Wal.open(small(dir))) {
      w.writeSync(entries(1, 5, 1), new HardState(1, 1, 3));
      assertThatThrownBy(() -> w.writeSync(entries(7, 7, 1), null)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("gap");
      assertThatThrownBy(() -> w.writeSync(entries(3, 3, 2), null)).hasMessageContaining("committed");
      assertThatThrownBy(() -> w.writeSync(List.of(), new HardState(0, 0, 0))).hasMessageContaining("term");
      assertThatThrownBy(() -> w.writeSync(List.of(), new HardState(1, 2, 3))).hasMessageContaining("vote");
      assertThatThrownBy(() -> w.append(List.of(entry(1, 1), entry(3, 1)), null))
          .hasMessageContaining("contiguous");
      assertThatThrownBy(() -> w.append(List.of(), null)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> w.append(List.of(new WalEntry(6, 1, new byte[5000])), null))
          .hasMessageContaining("maxRecordBytes");
      w.markSnapshot(4, 1);
      assertThatThrownBy(() -> w.markSnapshot(3, 1)).hasMessageContaining("below");
      // the WAL still works after refusals
      w.writeSync(entries(6, 6, 1), null);
    }
    Recovered r = reopen(small(dir));
    assertThat(r.entries()).containsExactlyElementsOf(entries(5, 6, 1));
    assertThat(r.snapshotMarker()).isEqualTo(new SnapshotMarker(4, 1));
    assertThat(r.hardState()).isEqualTo(new HardState(1, 1, 3));
  }

  @Test
  void releaseDeletesOnlyWholeSnapshottedSegments() throws Exception {
    try (Wal w = Wal.open(small(dir))) {
      for (long i = 1; i <= 1000; i += 5) {
        w.writeSync(entries(i, i + 4, 1), null);
      }
      int before = Segments.list(dir).size();
      assertThat(before).isGreaterThan(4);
      assertThatThrownBy(() -> w.releaseBefore(600)).hasMessageContaining("snapshot");
      w.markSnapshot(599, 1);
      w.releaseBefore(600);
      List<Segments.Info> after = Segments.list(dir);
      assertThat(after.size()).isLessThan(before).isGreaterThan(1);
      // every remaining segment but the first starts above 300 - 1; the first holds index 300
      assertThat(after.get(0).firstIndex()).isLessThanOrEqualTo(600);
      assertThat(after.get(1).firstIndex()).isGreaterThan(600);
      // releasing everything never deletes the active segment
      w.markSnapshot(1000, 1);
      w.releaseBefore(1001);
      assertThat(Segments.list(dir)).hasSize(1);
      w.writeSync(entries(1001, 1002, 2), null);
    }
    Recovered r = reopen(small(dir));
    assertThat(r.snapshotMarker()).isEqualTo(new SnapshotMarker(1000, 1));
    assertThat(r.entries()).containsExactlyElementsOf(entries(1001, 1002, 2));
  }

  @Test
  void snapshotAheadOfTheLogRestartsItAfterTheSnapshot() throws Exception {
    try (Wal w = Wal.open(small(dir))) {
      w.writeSync(entries(1, 3, 1), null);
      w.markSnapshot(100, 4);
      assertThatThrownBy(() -> w.writeSync(entries(50, 50, 4), null)).hasMessageContaining("snapshot");
      w.writeSync(entries(101, 102, 4), new HardState(4, 0, 100));
    }
    Recovered r = reopen(small(dir));
    assertThat(r.snapshotMarker()).isEqualTo(new SnapshotMarker(100, 4));
    assertThat(r.entries()).containsExactlyElementsOf(entries(101, 102, 4));
  }

  @Test
  void groupCommitCoversManyAppendsPerFsyncAndFullQueueFailsFast() throws Exception {
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    List<CompletableFuture<Void>> acked = new ArrayList<>();
    boolean sawFull = false;
    long next = 1;
    try (Wal w = Wal.open(small(dir).queueCapacity(8).meterRegistry(reg))) {
      // bounded tight loop; a producer that only encodes + offers outpaces a writer that writes + fsyncs
      for (int k = 0; k < 200_000 && !(sawFull && next > 2000); k++) {
        try {
          acked.add(w.append(List.of(new WalEntry(next, 1, FIXED)), null));
          next++;
        } catch (WalQueueFullException e) {
          sawFull = true;
          assertThat(e).hasMessageContaining("capacity 8");
          acked.get(acked.size() - 1).get();
        }
      }
      CompletableFuture.allOf(acked.toArray(new CompletableFuture<?>[0])).get();
    }
    assertThat(sawFull).as("a capacity-8 queue fed by a tight loop must fill").isTrue();
    double fsyncs = reg.get("keel.wal.fsyncs").counter().count();
    assertThat(reg.get("keel.wal.fsync.records").summary().max()).isGreaterThan(1);
    assertThat(fsyncs).isLessThan(next - 1);
    assertThat(reg.get("keel.wal.rejected").tag("reason", "queue_full").counter().count()).isPositive();
    assertThat(reg.get("keel.wal.queue.depth").gauge().value()).isZero();
    assertThat(reg.get("keel.wal.fsync.latency").timer().count()).isEqualTo((long) fsyncs);
    assertThat(reg.get("keel.wal.fsync.bytes").summary().totalAmount()).isGreaterThan(100.0 * (next - 1));
    List<WalEntry> expected = new ArrayList<>();
    for (long i = 1; i < next; i++) {
      expected.add(new WalEntry(i, 1, FIXED));
    }
    assertThat(reopen(small(dir)).entries()).containsExactlyElementsOf(expected);
  }

  @Test
  void closedWalRefusesAndSecondOpenIsLockedOut() throws Exception {
    Wal w = Wal.open(small(dir));
    assertThatThrownBy(() -> Wal.open(small(dir))).isInstanceOf(WalException.class).hasMessageContaining("in use");
    w.close();
    assertThatThrownBy(() -> w.append(List.of(entry(1, 1)), null)).isInstanceOf(WalException.class)
        .hasMessageContaining("closed");
    w.close();
  }

  @Test
  void badOptionsAreRefused() {
    assertThatThrownBy(() -> Wal.open(WalOptions.of(dir).segmentBytes(1024))).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("segmentBytes");
    assertThatThrownBy(() -> Wal.open(WalOptions.of(dir).queueCapacity(0))).hasMessageContaining("queueCapacity");
    assertThatThrownBy(() -> Wal.open(small(dir).metadata(new byte[300]))).hasMessageContaining("metadata");
  }

  @Test
  void failedFutureCarriesTheReason() throws Exception {
    try (Wal w = Wal.open(small(dir))) {
      CompletableFuture<Void> f = w.append(entries(5, 5, 1), null);
      assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void blockingCallFromTheWriterThreadIsRefusedNotDeadlocked() throws Exception {
    HardState hs = new HardState(1, 0, 0);
    boolean sawWriterThread = false;
    try (Wal w = Wal.open(small(dir))) {
      // a continuation attached after the future completed runs on this thread instead; retry until it did not
      for (int attempt = 0; attempt < 50 && !sawWriterThread; attempt++) {
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        CompletableFuture<Boolean> onWriter = new CompletableFuture<>();
        w.append(List.of(), hs).thenRun(() -> {
          onWriter.complete(Thread.currentThread().getName().equals("keel-wal-writer"));
          try {
            w.writeSync(List.of(), hs);
            seen.complete(null);
          } catch (IllegalStateException e) {
            seen.complete(e);
          }
        });
        if (onWriter.get()) {
          sawWriterThread = true;
          assertThat(seen.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("deadlock");
        } else {
          assertThat(seen.get()).isNull();
        }
      }
    }
    assertThat(sawWriterThread).isTrue();
  }

  static List<WalEntry> concat(List<WalEntry> a, List<WalEntry> b) {
    List<WalEntry> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
