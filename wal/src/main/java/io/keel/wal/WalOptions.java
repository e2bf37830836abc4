package io.keel.wal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration for {@link Wal#open(WalOptions)}. Every size and queue is bounded; defaults suit a Raft member
 * (64 MiB segments, 4096-request queue, 4 MiB records, 4 MiB per group-commit batch).
 */
public final class WalOptions {
  public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
  public static final int DEFAULT_QUEUE_CAPACITY = 4096;
  public static final int DEFAULT_MAX_RECORD_BYTES = 4 << 20;
  public static final int DEFAULT_MAX_BATCH_BYTES = 4 << 20;
  public static final int DEFAULT_MAX_METADATA_BYTES = 64 << 10;

  private final Path dir;
  private long segmentBytes = DEFAULT_SEGMENT_BYTES;
  private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
  private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
  private int maxBatchBytes = DEFAULT_MAX_BATCH_BYTES;
  private int maxMetadataBytes = DEFAULT_MAX_METADATA_BYTES;
  private byte[] metadata = new byte[0];
  private MeterRegistry meterRegistry;
  private boolean unsafeSkipFsync;

  private WalOptions(Path dir) {
    this.dir = Objects.requireNonNull(dir, "dir");
  }

  public static WalOptions of(Path dir) {
    return new WalOptions(dir);
  }

  /** Fixed size of every segment file; each is zero-filled to this size before use. */
  public WalOptions segmentBytes(long v) {
    segmentBytes = v;
    return this;
  }

  /** Bound on requests waiting for the writer thread; a full queue fails fast with {@link WalQueueFullException}. */
  public WalOptions queueCapacity(int v) {
    queueCapacity = v;
    return this;
  }

  /** Bound on one framed record (one append call: its entries plus hard state, framing included). */
  public WalOptions maxRecordBytes(int v) {
    maxRecordBytes = v;
    return this;
  }

  /** Bound on the bytes the writer covers with one fsync (a single larger record is still written alone). */
  public WalOptions maxBatchBytes(int v) {
    maxBatchBytes = v;
    return this;
  }

  /** Bound on the opaque metadata. */
  public WalOptions maxMetadataBytes(int v) {
    maxMetadataBytes = v;
    return this;
  }

  /** Metadata stored at the head of a NEW log (ignored when the directory already holds a log). */
  public WalOptions metadata(byte[] v) {
    metadata = Objects.requireNonNull(v, "metadata").clone();
    return this;
  }

  /**
   * UNSAFE, testing only (the chaos suite's negative control, {@code --unsafe-testing-faults skip-fsync}): the
   * writer skips the fsyncs that make appended records (entries, hard state, snapshot markers) durable, so a
   * completed write may be lost on power loss. Segment creation (preallocation, header, directory) still syncs,
   * so the log stays openable. Off by default.
   */
  public WalOptions unsafeSkipFsync(boolean v) {
    unsafeSkipFsync = v;
    return this;
  }

  public boolean unsafeSkipFsync() {
    return unsafeSkipFsync;
  }

  public WalOptions meterRegistry(MeterRegistry v) {
    meterRegistry = v;
    return this;
  }

  public Path dir() {
    return dir;
  }

  public long segmentBytes() {
    return segmentBytes;
  }

  public int queueCapacity() {
    return queueCapacity;
  }

  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  public int maxBatchBytes() {
    return maxBatchBytes;
  }

  public int maxMetadataBytes() {
    return maxMetadataBytes;
  }

  public byte[] metadata() {
    return metadata.clone();
  }

  public MeterRegistry meterRegistry() {
    return meterRegistry != null ? meterRegistry : new SimpleMeterRegistry();
  }

  /** Checks that the bounds are consistent; throws IllegalArgumentException naming the bad option. */
  void validate() {
    require(queueCapacity >= 1 && queueCapacity <= 1 << 20, "queueCapacity must be in [1, 2^20]: " + queueCapacity);
    require(maxRecordBytes >= 64, "maxRecordBytes must be >= 64: " + maxRecordBytes);
    require(maxBatchBytes >= 64, "maxBatchBytes must be >= 64: " + maxBatchBytes);
    require(maxMetadataBytes >= 0 && maxMetadataBytes <= 16 << 20, "maxMetadataBytes out of range: " + maxMetadataBytes);
    require(metadata.length <= maxMetadataBytes,
        "metadata is " + metadata.length + " bytes, above maxMetadataBytes " + maxMetadataBytes);
    long minSegment = Segments.HEADER_BYTES + Records.maxPreambleBytes(maxMetadataBytes) + maxRecordBytes;
    require(segmentBytes >= minSegment, "segmentBytes " + segmentBytes
        + " must hold header + preamble + one max record (>= " + minSegment + ")");
    require(segmentBytes <= 1L << 30, "segmentBytes must be <= 1 GiB: " + segmentBytes);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
