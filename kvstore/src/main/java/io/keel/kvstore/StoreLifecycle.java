package io.keel.kvstore;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.rocksdb.RocksDBException;

/**
 * Lifecycle state of an {@link MvccStore}: open, failed (a RocksDB write failed, writes refused until reopened),
 * restoring (a snapshot swap is in progress: readers wait for it) and closed, and the read guard that keeps
 * RocksDB open under every read. Split from the store so these flags and the rules for them are in one place.
 * The flags are written by the writer thread (under the store's writeLock) and read by any thread.
 */
final class StoreLifecycle {
  private static final long RESTORE_WAIT_MS = 30_000;

  /** Reads hold the read side; close() takes the write side so RocksDB is not closed under a reader. */
  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  volatile boolean failed;
  volatile boolean closed;
  volatile boolean restoring;

  /** Runs a read unless the store is closing; close() waits for reads in flight (RocksDB must outlive them). */
  <T> T reading(Supplier<T> body) {
    if (!lock.readLock().tryLock() && !awaitRestore()) {
      throw new IllegalStateException("store is closing");
    }
    try {
      ensureOpen();
      return body.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** A reader that met a restore waits for it (bounded); true once it holds the read lock. */
  private boolean awaitRestore() {
    if (!restoring) {
      return false;
    }
    try {
      return lock.readLock().tryLock(RESTORE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }

  void ensureWritable() {
    ensureOpen();
    if (failed) {
      throw new KvStorageException("store failed earlier", new RocksDBException("write failed; reopen"));
    }
  }
}
