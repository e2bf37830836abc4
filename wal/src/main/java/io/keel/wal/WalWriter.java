package io.keel.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single thread that owns the segment files. It drains the bounded queue into groups of at most
 * {@code maxBatchBytes}, checks each request against the log's invariants, writes the group, fsyncs once and
 * only then completes the group's futures (group commit). An I/O failure is fatal: the WAL fails every pending
 * and later request rather than guess what reached the disk.
 */
final class WalWriter implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(WalWriter.class);

  private final Path dir;
  private final ArrayBlockingQueue<WriteRequest> queue;
  private final int maxBatchBytes;
  private final ByteBuffer buf;
  private final IndexState state;
  private final byte[] metadata;
  private final ArrayDeque<Segments.Info> segments;
  private final SegmentAllocator allocator;
  private final WalMetrics metrics;
  /** Testing only (WalOptions.unsafeSkipFsync): record fsyncs are skipped, so acknowledged writes can be lost. */
  private final boolean skipFsync;
  private ActiveSegment active;
  private volatile boolean stopping;
  private volatile boolean exited;
  private volatile Throwable failure;

  WalWriter(Path dir, ArrayBlockingQueue<WriteRequest> queue, WalOptions o, IndexState state, byte[] metadata,
      List<Segments.Info> segments, ActiveSegment active, SegmentAllocator allocator, WalMetrics metrics) {
    this.dir = dir;
    this.queue = queue;
    this.maxBatchBytes = o.maxBatchBytes();
    this.buf = ByteBuffer.allocateDirect(Math.max(o.maxBatchBytes(), o.maxRecordBytes()));
    this.state = state;
    this.metadata = metadata;
    this.segments = new ArrayDeque<>(segments);
    this.active = active;
    this.allocator = allocator;
    this.metrics = metrics;
    this.skipFsync = o.unsafeSkipFsync();
  }

  /** Segment preamble: metadata, then the current snapshot marker and hard state, so every segment stands alone. */
  static byte[] preamble(byte[] metadata, SnapshotMarker snapshot, HardState hs) {
    ByteBuffer b = ByteBuffer.allocate(Records.maxPreambleBytes(metadata.length));
    b.put(Records.encodeMetadata(metadata));
    if (!snapshot.equals(SnapshotMarker.NONE)) {
      b.put(Records.encodeSnapshot(snapshot));
    }
    if (!hs.isEmpty()) {
      b.put(Records.encodeBatch(List.of(), hs));
    }
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  Throwable failure() {
    return failure;
  }

  boolean exited() {
    return exited;
  }

  void stop() {
    stopping = true;
  }

  @Override
  public void run() {
    List<WriteRequest> group = new ArrayList<>();
    try {
      while (true) {
        WriteRequest first = queue.poll(20, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (stopping) {
            break;
          }
          continue;
        }
        group.clear();
        group.add(first);
        long bytes = first.recordBytes();
        WriteRequest next;
        while ((next = queue.peek()) != null && bytes + next.recordBytes() <= maxBatchBytes) {
          group.add(queue.poll());
          bytes += next.recordBytes();
        }
        Throwable f = failure;
        if (f != null) {
          failAll(group, new WalException("WAL failed earlier: " + f, f));
        } else {
          process(group);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      failure = t;
      log.error("WAL writer thread died", t);
      failAll(group, new WalException("WAL writer failed: " + t, t));
    } finally {
      exited = true;
      drainAndFail(queue, new WalException("WAL is closed"));
      try {
        active.close();
      } catch (IOException e) {
        log.warn("closing WAL segment {}", active.info().path(), e);
      }
    }
  }

  static void drainAndFail(ArrayBlockingQueue<WriteRequest> queue, WalException e) {
    WriteRequest r;
    while ((r = queue.poll()) != null) {
      r.future.completeExceptionally(e);
    }
  }

  private static void failAll(List<WriteRequest> group, Throwable e) {
    for (WriteRequest r : group) {
      r.future.completeExceptionally(e);
    }
  }

  private void process(List<WriteRequest> group) {
    List<WriteRequest> written = new ArrayList<>(group.size());
    List<WriteRequest> releases = new ArrayList<>();
    buf.clear();
    long bytes = 0;
    try {
      for (WriteRequest r : group) {
        String bad;
        switch (r.kind) {
          case APPEND:
            bad = state.checkAppend(r.entries, r.hardState);
            break;
          case SNAPSHOT:
            bad = state.checkSnapshot(r.marker);
            break;
          default:
            releases.add(r);
            continue;
        }
        if (bad != null) {
          metrics.rejectedInvalid.increment();
          r.future.completeExceptionally(new IllegalArgumentException(bad));
          continue;
        }
        put(r.record);
        bytes += r.record.length;
        if (r.kind == WriteRequest.Kind.APPEND) {
          state.applyAppend(r.entries, r.hardState);
        } else {
          state.applySnapshot(r.marker);
        }
        written.add(r);
      }
      if (!written.isEmpty()) {
        flushBuffer();
      }
      if (!written.isEmpty() && !skipFsync) {
        long t0 = System.nanoTime();
        active.force();
        metrics.fsyncLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        metrics.fsyncs.increment();
        metrics.recordsPerFsync.record(written.size());
        metrics.bytesPerFsync.record(bytes);
      }
    } catch (IOException | RuntimeException e) {
      failure = e;
      log.error("WAL write/fsync failed in {}; failing all pending and later writes", dir, e);
      WalException we = new WalException("WAL write failed: " + e, e);
      failAll(written, we);
      failAll(releases, we);
      failAll(group, we); // requests after the failure point (completing twice is a no-op)
      return;
    }
    for (WriteRequest r : written) {
      r.future.complete(null);
    }
    for (WriteRequest r : releases) {
      try {
        release(r.releaseIndex);
        r.future.complete(null);
      } catch (IllegalArgumentException e) {
        r.future.completeExceptionally(e);
      } catch (IOException e) {
        r.future.completeExceptionally(new WalException("releasing segments failed: " + e, e));
      }
    }
  }

  /** Adds a record to the buffer, first rolling to a new segment if it would not fit in the current one. */
  private void put(byte[] record) throws IOException {
    if (active.remainingBytes() - buf.position() < record.length) {
      flushBuffer();
      if (!skipFsync) {
        long t0 = System.nanoTime();
        active.force(); // the old segment must be durable before a newer one exists
        metrics.fsyncLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        metrics.fsyncs.increment();
      }
      roll();
    }
    if (buf.remaining() < record.length) {
      flushBuffer();
    }
    buf.put(record);
  }

  private void flushBuffer() throws IOException {
    buf.flip();
    if (buf.hasRemaining()) {
      active.write(buf);
    }
    buf.clear();
  }

  private void roll() throws IOException {
    Segments.Info old = active.info();
    long seq = old.seq() + 1;
    long firstIndex = state.lastIndex() + 1;
    byte[] pre = preamble(metadata, state.snapshot(), state.hardState());
    ActiveSegment next = ActiveSegment.create(dir, allocator.take(), seq, firstIndex, pre);
    active.close();
    active = next;
    segments.addLast(next.info());
    metrics.segmentsRolled.increment();
    log.info("WAL {}: rolled to segment {}", dir, next.info().path().getFileName());
    if (next.remainingBytes() < 0) {
      throw new IllegalStateException("preamble larger than segment " + next.info().path());
    }
  }

  /** Deletes the oldest segments whose entries are all below {@code index}; never the active one. */
  private void release(long index) throws IOException {
    if (index > state.snapshot().index() + 1) {
      throw new IllegalArgumentException("cannot release below index " + index + ": only entries up to the "
          + "snapshot index " + state.snapshot().index() + " may be released");
    }
    int deleted = 0;
    while (segments.size() >= 2) {
      Segments.Info oldest = segments.peekFirst();
      Segments.Info second = segments.stream().skip(1).findFirst().orElseThrow();
      if (second.firstIndex() > index) {
        break;
      }
      Files.delete(oldest.path());
      segments.pollFirst();
      deleted++;
      log.info("WAL {}: released segment {} (all entries below {})", dir, oldest.path().getFileName(), index);
    }
    if (deleted > 0) {
      Segments.fsyncDir(dir);
      metrics.segmentsReleased.increment(deleted);
    }
  }
}
