package io.keel.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Preallocates the NEXT segment off the hot path. Java has no fallocate, so a background thread writes
 * {@code segmentBytes} of real zeros into a {@code *.wal.spare} file and fsyncs it; the writer renames it into
 * place when it rolls. Real zeros (not a sparse setLength) mean the blocks exist, later fdatasyncs do not have to
 * allocate them or change the file size, and an unwritten tail reads as zeros. If the spare is not ready in time
 * the writer waits for it (the roll is then as slow as a zero-fill).
 */
final class SegmentAllocator implements AutoCloseable {
  private final Path dir;
  private final long segmentBytes;
  private final ExecutorService exec;
  private final AtomicLong counter = new AtomicLong();
  private Future<Path> next;

  SegmentAllocator(Path dir, long segmentBytes) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.exec = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "keel-wal-prealloc");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts preparing the next spare in the background (idempotent while one is pending). */
  void prepareNext() {
    if (next == null) {
      next = exec.submit(this::createSpare);
    }
  }

  /** Returns a zero-filled, fsynced spare file and starts preparing the one after it. */
  Path take() throws IOException {
    Path p;
    if (next == null) {
      p = createSpare();
    } else {
      try {
        p = next.get();
      } catch (ExecutionException e) {
        throw new IOException("preallocating the next WAL segment failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the next WAL segment", e);
      } finally {
        next = null;
      }
    }
    prepareNext();
    return p;
  }

  private Path createSpare() throws IOException {
    Path p = dir.resolve("prealloc-" + counter.incrementAndGet() + Segments.SPARE_SUFFIX);
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      Segments.zeroFill(ch, 0, segmentBytes);
      ch.force(true);
    }
    return p;
  }

  @Override
  public void close() {
    exec.shutdownNow();
    try {
      exec.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // A leftover spare is deleted by the next open (Recovery); nothing here depends on it.
  }
}
