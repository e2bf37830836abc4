package io.keel.server.peer;

/**
 * Bounds of snapshot streaming: the chunk size, the largest snapshot and file count a member accepts, and how
 * long one transfer may take (both sides give up after it; a receiver slot held longer is taken over).
 */
public record SnapshotLimits(int chunkBytes, long maxSnapshotBytes, int maxFiles, long timeoutMs) {
  public static final SnapshotLimits DEFAULT = new SnapshotLimits(1 << 20, 64L << 30, 50_000, 10 * 60_000);

  public SnapshotLimits {
    if (chunkBytes < 1024 || chunkBytes > (8 << 20) || maxSnapshotBytes <= 0 || maxFiles <= 0 || timeoutMs <= 0) {
      throw new IllegalArgumentException("bad snapshot limits: " + this);
    }
  }

  /** The largest gRPC message of a snapshot stream: a chunk, or the header with its file list. */
  public int maxInboundBytes() {
    return chunkBytes + 64 * 1024 + maxFiles * 128;
  }
}
