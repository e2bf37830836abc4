package io.keel.kvstore;

import java.nio.file.Path;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raft snapshot support of {@link MvccStore}: writes a RocksDB checkpoint of the live store, and replaces the
 * whole store by a checkpoint (close RocksDB, swap directories, reopen, rebuild the index) while readers wait.
 * Split from the store so the lock choreography of the swap (writeLock, then the lifecycle write lock; the
 * {@code restoring} flag that lets readers wait instead of failing) is read in one place. Writer thread only;
 * the file work itself is {@link StoreCheckpoint}'s.
 */
final class StoreSwap {
  private static final Logger LOG = LoggerFactory.getLogger(MvccStore.class);

  private StoreSwap() {}

  /** See {@link MvccStore#checkpoint(Path)}. */
  static long checkpoint(MvccStore store, Path target) {
    store.writeLock.lock();
    try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(store.rocks.db())) {
      store.life.ensureOpen();
      store.writer.flushStaged();
      store.rocks.db().flushWal(true); // the live store, too, is durable up to here before the Raft WAL is released
      cp.createCheckpoint(target.toString());
      return store.appliedIndex;
    } catch (RocksDBException e) {
      throw new KvStorageException("checkpoint into " + target, e);
    } finally {
      store.writeLock.unlock();
    }
  }

  /** See {@link MvccStore#restoreFrom(Path)}. */
  static void restoreFrom(MvccStore store, Path checkpointDir) {
    Path dir = store.options().dataDir();
    store.writeLock.lock();
    try {
      store.life.ensureOpen();
      store.writer.endGroupDiscarding(); // the snapshot replaces everything staged
      Path staged = StoreCheckpoint.staging(dir);
      StoreCheckpoint.deleteTree(staged);
      StoreCheckpoint.linkCopy(checkpointDir, staged);
      store.life.restoring = true;
      store.life.lock.writeLock().lock();
      try {
        store.life.failed = true; // until reopened
        store.rocks.closeDb();
        try {
          StoreCheckpoint.swapInStaged(dir);
          store.rocks.openDb();
          StoreCheckpoint.deleteTree(StoreCheckpoint.retired(dir));
          store.index = new KeyIndex();
          store.recover();
        } catch (RocksDBException | java.io.IOException | RuntimeException e) {
          store.life.closed = true; // the handles or the index are unusable: no reader may touch them
          throw e;
        }
        store.life.failed = false;
      } finally {
        store.life.restoring = false;
        store.life.lock.writeLock().unlock();
      }
      LOG.info("store {} restored from {}: revision {}, compact revision {}, applied index {}", dir, checkpointDir,
          store.currentRev, store.compactRev, store.appliedIndex);
      StoreCheckpoint.notifyRestored(store.listeners, store.currentRev, store.compactRev);
    } catch (RocksDBException | java.io.IOException e) {
      store.life.failed = true;
      throw new KvStorageException("restore " + dir + " from " + checkpointDir, e);
    } finally {
      store.writeLock.unlock();
    }
  }
}
