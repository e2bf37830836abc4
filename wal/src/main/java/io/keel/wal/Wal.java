package io.keel.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keel's durable write-ahead log for Raft's log and hard state. See the package documentation for the format
 * and the durability contract. Thread-safe: any thread may call any method; one internal writer thread owns the
 * files.
 */
public final class Wal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Wal.class);
  /** Bound on how long the blocking calls wait for the writer (a hung disk must not hang the caller forever). */
  static final long SYNC_TIMEOUT_MS = 120_000;

  private final Path dir;
  private final WalOptions options;
  private final Recovered recovered;
  private final ArrayBlockingQueue<WriteRequest> queue;
  private final WalWriter writer;
  private final Thread writerThread;
  private final SegmentAllocator allocator;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final WalMetrics metrics;
  private volatile boolean closed;

  private Wal(Path dir, WalOptions options, Recovered recovered, ArrayBlockingQueue<WriteRequest> queue,
      WalWriter writer, SegmentAllocator allocator, FileChannel lockChannel, FileLock lock, WalMetrics metrics) {
    this.dir = dir;
    this.options = options;
    this.recovered = recovered;
    this.queue = queue;
    this.writer = writer;
    this.allocator = allocator;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.metrics = metrics;
    this.writerThread = new Thread(writer, "keel-wal-writer");
    this.writerThread.setDaemon(true);
  }

  /**
   * Opens the log in {@code options.dir()} (creating a new one with {@code options.metadata()} when the directory
   * holds none), recovers its state and starts the writer thread.
   *
   * @throws WalCorruptionException when the log cannot be trusted (message names file and byte offset)
   * @throws WalException when another process holds the directory
   */
  public static Wal open(WalOptions options) throws IOException {
    options.validate();
    Path dir = options.dir();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) {
        Segments.fsyncDir(parent); // the new directory's entry must survive a crash too
      }
    }
    FileChannel lockChannel = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new WalException("WAL directory " + dir + " is in use by another Wal instance or process");
    }
    SegmentAllocator allocator = new SegmentAllocator(dir, options.segmentBytes());
    try {
      ArrayBlockingQueue<WriteRequest> queue = new ArrayBlockingQueue<>(options.queueCapacity());
      WalMetrics metrics = new WalMetrics(options.meterRegistry(), queue);
      Recovery.Result res = Recovery.run(dir);
      Recovered recovered;
      List<Segments.Info> segments;
      ActiveSegment active;
      if (res == null) {
        byte[] meta = options.metadata();
        recovered = new Recovered(meta, HardState.EMPTY, SnapshotMarker.NONE, List.of());
        active = ActiveSegment.create(dir, allocator.take(), 1, 1,
            WalWriter.preamble(meta, SnapshotMarker.NONE, HardState.EMPTY));
        segments = List.of(active.info());
        log.info("WAL {}: created new log {}", dir, active.info().path().getFileName());
      } else {
        recovered = res.recovered();
        segments = res.segments();
        active = ActiveSegment.openExisting(segments.get(segments.size() - 1), res.tailOffset());
      }
      allocator.prepareNext();
      IndexState state = new IndexState(recovered.snapshotMarker(), recovered.lastIndex(), recovered.hardState());
      WalWriter writer = new WalWriter(dir, queue, options, state, recovered.metadata(), segments, active,
          allocator, metrics);
      Wal wal = new Wal(dir, options, recovered, queue, writer, allocator, lockChannel, lock, metrics);
      wal.writerThread.start();
      return wal;
    } catch (IOException | RuntimeException e) {
      allocator.close();
      lock.release();
      lockChannel.close();
      throw e;
    }
  }

  /** The state read back when this instance opened (it does not change as you write). */
  public Recovered recovered() {
    return recovered;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Queues one atomic write (entries and/or hard state) for group commit. The future completes after the data
   * is fsynced; it fails with IllegalArgumentException if the write breaks the log's invariants (gap, overwrite
   * of committed or snapshotted entries, term/commit going back) and with {@link WalException} on I/O failure or
   * close. Entries may overwrite a suffix: index i replaces i and drops everything after it.
   *
   * <p>The future is completed ON THE WRITER THREAD: chain work with the {@code *Async} methods (or hand it to
   * your own executor), never block or call back into this WAL from a non-async continuation.
   *
   * @throws WalQueueFullException when the bounded queue is full (fail fast, nothing queued)
   * @throws IllegalArgumentException for a malformed or oversized write
   */
  public CompletableFuture<Void> append(List<WalEntry> entries, HardState hardState) {
    Objects.requireNonNull(entries, "entries");
    List<WalEntry> es = List.copyOf(entries);
    if (es.isEmpty() && hardState == null) {
      throw new IllegalArgumentException("append needs entries or a hard state");
    }
    String bad = IndexState.checkBatchShape(es);
    if (bad != null) {
      throw new IllegalArgumentException(bad);
    }
    long size = Records.batchFrameBytes(es);
    if (size > options.maxRecordBytes()) {
      throw new IllegalArgumentException("write of " + size + " bytes exceeds maxRecordBytes "
          + options.maxRecordBytes());
    }
    return enqueue(WriteRequest.append(es, hardState, Records.encodeBatch(es, hardState)));
  }

  /**
   * Writes one batch and returns after it is fsynced, for a caller that already batches (Raft's Ready loop).
   * Runs on the same writer thread as {@link #append}, so ordering between the two is the call order.
   */
  public void writeSync(List<WalEntry> entries, HardState hardState) {
    await(append(entries, hardState));
  }

  /**
   * Like {@link #writeSync(List, HardState)} for entries of any total size: entries that do not fit one record
   * ({@link WalOptions#maxRecordBytes}) are written as several consecutive records, queued together (so one
   * group commit usually covers them all), and the call returns once all are fsynced. {@code prefixHardState}
   * goes with the first record and {@code hardState} with the last, so a crash between them leaves a log a
   * restart accepts: the caller passes the new term and vote with the commit already durable as the prefix, and
   * the new commit only once every entry it may cover is written. One record: as writeSync.
   *
   * @throws IllegalArgumentException if a single entry does not fit a record
   */
  public void writeSyncSplit(List<WalEntry> entries, HardState prefixHardState, HardState hardState) {
    if (Records.batchFrameBytes(entries) <= options.maxRecordBytes()) {
      writeSync(entries, hardState); // the usual case: one record
      return;
    }
    long emptyBytes = Records.batchFrameBytes(List.of());
    List<List<WalEntry>> parts = new ArrayList<>();
    List<WalEntry> part = new ArrayList<>();
    long partBytes = emptyBytes;
    for (WalEntry e : entries) {
      long entryBytes = Records.batchFrameBytes(List.of(e)) - emptyBytes;
      if (!part.isEmpty() && partBytes + entryBytes > options.maxRecordBytes()) {
        parts.add(part);
        part = new ArrayList<>();
        partBytes = emptyBytes;
      }
      part.add(e);
      partBytes += entryBytes;
    }
    parts.add(part);
    List<CompletableFuture<Void>> written = new ArrayList<>(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      HardState hs = i == 0 ? prefixHardState : i == parts.size() - 1 ? hardState : null;
      written.add(append(parts.get(i), hs));
    }
    for (CompletableFuture<Void> f : written) {
      await(f); // in order: the first failure is the one reported
    }
  }

  /** Durably records that the log up to {@code index} (inclusive) is in a snapshot; blocks until fsynced. */
  public void markSnapshot(long index, long term) {
    await(enqueue(WriteRequest.snapshot(new SnapshotMarker(index, term))));
  }

  /**
   * Deletes whole segments whose entries are all below {@code index}; never the active segment. {@code index}
   * must be at most snapshot index + 1 (only snapshotted entries may go). Blocks until done.
   */
  public void releaseBefore(long index) {
    await(enqueue(WriteRequest.release(index)));
  }

  private CompletableFuture<Void> enqueue(WriteRequest r) {
    Throwable f = writer.failure();
    if (f != null) {
      throw new WalException("WAL failed earlier: " + f, f);
    }
    if (closed) {
      throw new WalException("WAL is closed");
    }
    if (!queue.offer(r)) {
      metrics.rejectedQueueFull.increment();
      throw new WalQueueFullException(options.queueCapacity());
    }
    if (writer.exited()) {
      WalWriter.drainAndFail(queue, new WalException("WAL is closed"));
    }
    return r.future;
  }

  private void await(CompletableFuture<Void> f) {
    if (Thread.currentThread() == writerThread) {
      throw new IllegalStateException("blocking WAL call from the WAL writer thread (a future continuation) would "
          + "deadlock; use the *Async continuation methods");
    }
    try {
      f.get(SYNC_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new WalException("WAL write failed: " + c, c);
    } catch (TimeoutException e) {
      throw new WalException("WAL write not durable after " + SYNC_TIMEOUT_MS + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WalException("interrupted while waiting for the WAL");
    }
  }

  /** Completes every queued write (fsynced), stops the writer and releases the directory. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    writer.stop();
    try {
      writerThread.join(SYNC_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    allocator.close();
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      log.warn("releasing WAL lock in {}", dir, e);
    }
  }
}
