package io.keel.wal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Folds records, in log order, into the recovered state, checking the log's invariants as it goes.
 *
 * <p>Overwrite rule (etcd's): a batch whose first entry has index i drops every earlier entry at index >= i, then
 * appends. A snapshot marker at s drops entries <= s. Entries known to replay start at {@code start}; indices
 * below it that are above the snapshot belong to released segments and must be covered by a snapshot marker by
 * the end of replay, otherwise a segment is missing.
 */
final class LogReplay {
  private byte[] metadata;
  private HardState hardState = HardState.EMPTY;
  private SnapshotMarker snapshot = SnapshotMarker.NONE;
  private long start = 1;
  private final ArrayList<WalEntry> entries = new ArrayList<>();
  private boolean expectMetadata;
  private Path firstFile;

  void beginSegment(Segments.Info info, boolean first) {
    if (first) {
      firstFile = info.path();
      start = info.firstIndex();
      if (start < 1) {
        throw new WalCorruptionException(info.path(), -1, "first index " + start + " < 1");
      }
    } else if (lastIndex() != info.firstIndex() - 1) {
      throw new WalCorruptionException(info.path(), 0, "segment starts at index " + info.firstIndex()
          + " but the log before it ends at index " + lastIndex() + " (missing or foreign segment)");
    }
    expectMetadata = true;
  }

  void endSegment(Segments.Info info) {
    if (expectMetadata) {
      throw new WalCorruptionException(info.path(), Segments.HEADER_BYTES, "segment holds no metadata record");
    }
  }

  long lastIndex() {
    return Math.max(snapshot.index(), start - 1 + entries.size());
  }

  void apply(Records.Record record, Path file, long offset) {
    if (expectMetadata && !(record instanceof Records.Metadata)) {
      throw new WalCorruptionException(file, offset, "segment does not start with its metadata record");
    }
    if (record instanceof Records.Metadata m) {
      if (metadata != null && !Arrays.equals(metadata, m.data())) {
        throw new WalCorruptionException(file, offset, "metadata differs from the metadata earlier in the log");
      }
      metadata = m.data();
      expectMetadata = false;
    } else if (record instanceof Records.Snapshot s) {
      applySnapshot(s.marker(), file, offset);
    } else if (record instanceof Records.Batch b) {
      applyBatch(b, file, offset);
    }
  }

  private void applySnapshot(SnapshotMarker m, Path file, long offset) {
    if (m.index() < snapshot.index()) {
      throw new WalCorruptionException(file, offset, "snapshot marker " + m.index() + " below earlier " + snapshot);
    }
    snapshot = m;
    if (m.index() >= start) {
      long drop = m.index() - start + 1;
      if (drop >= entries.size()) {
        entries.clear();
      } else {
        entries.subList(0, (int) drop).clear();
      }
      start = m.index() + 1;
    }
  }

  private void applyBatch(Records.Batch b, Path file, long offset) {
    List<WalEntry> es = b.entries();
    if (!es.isEmpty()) {
      String bad = IndexState.checkBatchShape(es);
      if (bad != null) {
        throw new WalCorruptionException(file, offset, bad);
      }
      long i = es.get(0).index();
      if (i <= snapshot.index()) {
        throw new WalCorruptionException(file, offset, "entry " + i + " at or below snapshot " + snapshot.index());
      }
      if (i > lastIndex() + 1) {
        throw new WalCorruptionException(file, offset, "entry " + i + " leaves a gap after last index "
            + lastIndex());
      }
      if (i < start) {
        entries.clear();
        start = i;
      } else {
        entries.subList((int) (i - start), entries.size()).clear();
      }
      entries.addAll(es);
    }
    if (b.hardState() != null) {
      String bad = IndexState.checkHardState(hardState, b.hardState());
      if (bad != null) {
        throw new WalCorruptionException(file, offset, bad);
      }
      hardState = b.hardState();
    }
  }

  Recovered finish() {
    if (start - 1 > snapshot.index()) {
      throw new WalCorruptionException(firstFile, -1, "entries " + (snapshot.index() + 1) + ".." + (start - 1)
          + " are neither in the log nor covered by a snapshot marker (missing first segment?)");
    }
    return new Recovered(metadata, hardState, snapshot, List.copyOf(entries));
  }

  SnapshotMarker snapshot() {
    return snapshot;
  }

  HardState hardState() {
    return hardState;
  }
}
