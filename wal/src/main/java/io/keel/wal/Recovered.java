package io.keel.wal;

import java.util.List;

/**
 * What {@link Wal#open} read back: metadata, the latest hard state, the latest snapshot marker and the entries
 * after it (contiguous, ascending). {@link HardState#EMPTY} / {@link SnapshotMarker#NONE} when never written.
 */
public final class Recovered {
  private final byte[] metadata;
  private final HardState hardState;
  private final SnapshotMarker snapshotMarker;
  private final List<WalEntry> entries;

  Recovered(byte[] metadata, HardState hardState, SnapshotMarker snapshotMarker, List<WalEntry> entries) {
    this.metadata = metadata;
    this.hardState = hardState;
    this.snapshotMarker = snapshotMarker;
    this.entries = entries;
  }

  public byte[] metadata() {
    return metadata.clone();
  }

  public HardState hardState() {
    return hardState;
  }

  public SnapshotMarker snapshotMarker() {
    return snapshotMarker;
  }

  /** Entries after the snapshot marker, ascending and contiguous; unmodifiable. */
  public List<WalEntry> entries() {
    return entries;
  }

  /** Index of the last entry, or the snapshot index when there are no entries after it. */
  public long lastIndex() {
    return entries.isEmpty() ? snapshotMarker.index() : entries.get(entries.size() - 1).index();
  }
}
