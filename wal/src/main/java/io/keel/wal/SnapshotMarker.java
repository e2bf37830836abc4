package io.keel.wal;

/**
 * "The log up to and including {@code index} is in a snapshot": replay drops entries at or below it.
 * {@link #NONE} (0, 0) means no snapshot was ever marked.
 */
public record SnapshotMarker(long index, long term) {
  public static final SnapshotMarker NONE = new SnapshotMarker(0, 0);

  public SnapshotMarker {
    if (index < 0 || term < 0) {
      throw new IllegalArgumentException("snapshot index/term must be >= 0: " + index + "/" + term);
    }
  }
}
