package io.keel.wal;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One request to the writer thread; its future completes after the data is fsynced (or it failed). */
final class WriteRequest {
  enum Kind { APPEND, SNAPSHOT, RELEASE }

  final Kind kind;
  final List<WalEntry> entries;
  final HardState hardState;
  final SnapshotMarker marker;
  final long releaseIndex;
  final byte[] record;
  final CompletableFuture<Void> future = new CompletableFuture<>();

  private WriteRequest(Kind kind, List<WalEntry> entries, HardState hs, SnapshotMarker marker, long releaseIndex,
      byte[] record) {
    this.kind = kind;
    this.entries = entries;
    this.hardState = hs;
    this.marker = marker;
    this.releaseIndex = releaseIndex;
    this.record = record;
  }

  static WriteRequest append(List<WalEntry> entries, HardState hs, byte[] record) {
    return new WriteRequest(Kind.APPEND, entries, hs, null, 0, record);
  }

  static WriteRequest snapshot(SnapshotMarker m) {
    return new WriteRequest(Kind.SNAPSHOT, List.of(), null, m, 0, Records.encodeSnapshot(m));
  }

  static WriteRequest release(long index) {
    return new WriteRequest(Kind.RELEASE, List.of(), null, null, index, new byte[0]);
  }

  int recordBytes() {
    return record.length;
  }
}
