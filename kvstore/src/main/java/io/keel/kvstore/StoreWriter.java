package io.keel.kvstore;

import io.keel.proto.mvccpb.Event;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.function.Supplier;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's write path: runs one key-space write transaction and commits it (with its Raft applied index) in
 * one RocksDB batch, or stages it in the open {@link WriteGroup} (group apply) and later writes the whole group;
 * then publishes the new revision and applied index and notifies the revision listeners, in revision order.
 * Split from {@link MvccStore} so the commit/publish rules live in one place. Single writer: everything runs on
 * the store's writer thread; the entry points take {@code store.writeLock} themselves, the methods marked
 * "Under writeLock" expect the caller to hold it (compaction, checkpoint, restore, close).
 */
final class StoreWriter {
  private static final Logger LOG = LoggerFactory.getLogger(MvccStore.class);

  /** One write transaction's body: reads and writes through {@code tw}; an EtcdException changes nothing. */
  interface TxnBody<T> {
    T run(WriteTxn tw);
  }

  private final MvccStore store;
  /** Group apply in progress (writer thread, under writeLock); null when each write commits on its own. */
  private WriteGroup group;

  StoreWriter(MvccStore store) {
    this.store = store;
  }

  /** A key-space write: staged in the open group if there is one, else committed on its own. */
  <T> T write(Timer timer, long applied, TxnBody<T> body) {
    return locked(timer, applied, () -> group != null ? stage(applied, body) : writeUnlocked(applied, body));
  }

  /** A write committed on its own, after anything a group staged (lease records go through here). */
  <T> T writeAlone(Timer timer, long applied, TxnBody<T> body) {
    return locked(timer, applied, () -> {
      flushStaged();
      return writeUnlocked(applied, body);
    });
  }

  /** Runs {@code body} timed, under writeLock, on a writable store. */
  private <T> T locked(Timer timer, long applied, Supplier<T> body) {
    if (applied < 0) {
      throw new IllegalArgumentException("appliedIndex < 0");
    }
    return store.metrics.timed(timer, () -> {
      store.writeLock.lock();
      try {
        store.life.ensureWritable();
        return body.get();
      } finally {
        store.writeLock.unlock();
      }
    });
  }

  private <T> T stage(long applied, TxnBody<T> body) {
    WriteGroup g = group;
    if (g.entries() >= MvccStore.GROUP_MAX_ENTRIES || g.batchBytes() >= MvccStore.GROUP_MAX_BYTES) {
      flushStaged();
      g = group;
    }
    if (g.isEmpty() && g.rev != store.currentRev) {
      // A write committed alone since the last flush (a lease revoke deletes keys at a revision of its own):
      // the empty group starts again from the store's revision instead of reusing one.
      g.close();
      group = g = new WriteGroup(store.currentRev);
    }
    if (g.rev != store.currentRev + g.revisions().size()) {
      throw new IllegalStateException("write group based on revision " + (g.rev - g.revisions().size())
          + " but the store is at " + store.currentRev);
    }
    try (WriteTxn tw = new WriteTxn(store, g)) {
      g.savePoint();
      T resp;
      try {
        resp = body.run(tw);
      } catch (RuntimeException e) {
        tw.rollback();
        g.rollbackToSavePoint();
        if (e instanceof EtcdException && applied > 0) {
          g.stagedIndexOnly(applied);
        }
        throw e;
      }
      g.popSavePoint();
      g.staged(applied, tw.rev, tw.events, tw.pendingValues());
      return resp;
    }
  }

  /** See {@link MvccStore#markApplied(long)}. */
  void markApplied(long index) {
    store.writeLock.lock();
    try {
      store.life.ensureWritable();
      flushStaged();
      if (index > store.appliedIndex) {
        commitMetaOnly(index);
      }
    } finally {
      store.writeLock.unlock();
    }
  }

  /** See {@link MvccStore#beginGroup()}. */
  void beginGroup() {
    store.writeLock.lock();
    try {
      store.life.ensureWritable();
      if (group != null) {
        throw new IllegalStateException("a write group is already open");
      }
      group = new WriteGroup(store.currentRev);
    } finally {
      store.writeLock.unlock();
    }
  }

  /** See {@link MvccStore#commitGroup()}: writes what the group staged, then ends group mode even on failure. */
  void commitGroup() {
    store.writeLock.lock();
    try {
      if (group == null) {
        throw new IllegalStateException("no write group is open");
      }
      try {
        store.life.ensureWritable();
        flushStaged();
      } finally {
        endGroupDiscarding();
      }
    } finally {
      store.writeLock.unlock();
    }
  }

  boolean inGroup() {
    return group != null;
  }

  /** See {@link MvccStore#flushGroup()}. */
  void flushGroup() {
    store.writeLock.lock();
    try {
      if (group != null && !group.isEmpty()) {
        store.life.ensureWritable();
        flushStaged();
      }
    } finally {
      store.writeLock.unlock();
    }
  }

  /** See {@link MvccStore#abandonGroup()}. */
  void abandonGroup() {
    store.writeLock.lock();
    try {
      if (group != null && !group.isEmpty()) {
        store.life.failed = true;
      }
      endGroupDiscarding();
    } finally {
      store.writeLock.unlock();
    }
  }

  /** Writes the staged group, if anything is staged, and continues with an empty one. Under writeLock. */
  void flushStaged() {
    WriteGroup g = group;
    if (g == null || g.isEmpty()) {
      return;
    }
    group = new WriteGroup(g.rev);
    try (g) {
      boolean changed = !g.revisions().isEmpty();
      try {
        if (g.applied > 0) {
          g.batch.put(store.rocks.metaColumn(), MvccStore.META_CONSISTENT_INDEX, MvccStore.longBytes(g.applied));
        }
        if (changed) {
          g.batch.put(store.rocks.metaColumn(), MvccStore.META_CURRENT_REV, MvccStore.longBytes(g.rev));
        }
        store.rocks.db().write(store.rocks.writeOptions, g.batch);
      } catch (RocksDBException e) {
        store.life.failed = true; // the index holds staged revisions that are not stored: refuse until reopened
        throw new KvStorageException("group commit", e);
      }
      if (g.applied > 0) {
        store.appliedIndex = g.applied;
      }
      if (changed) {
        if (store.currentRev != g.revisions().get(0).rev() - 1) {
          throw new IllegalStateException("revision moved under a write group: " + store.currentRev);
        }
        store.currentRev = g.rev;
        store.metrics.groupEntries.record(g.entries());
        for (WriteGroup.Revision r : g.revisions()) {
          store.leaseTable.onCommitted(r.events());
          store.metrics.events.increment(r.events().size());
          notifyListeners(r.rev(), r.events());
        }
      }
    }
  }

  /** Drops the group (nothing staged is written). Under writeLock. */
  void endGroupDiscarding() {
    if (group != null) {
      group.close();
      group = null;
    }
  }

  private <T> T writeUnlocked(long applied, TxnBody<T> body) {
    try (WriteTxn tw = new WriteTxn(store)) {
      T resp;
      try {
        resp = body.run(tw);
      } catch (RuntimeException e) {
        tw.rollback(); // preconditions are checked first, so this is only a safety net
        if (e instanceof EtcdException && applied > 0) {
          commitMetaOnly(applied);
        }
        throw e;
      }
      commit(tw, applied);
      return resp;
    }
  }

  /** Writes only the applied index (an entry that changed nothing). Under writeLock. */
  void commitMetaOnly(long applied) {
    try (WriteBatch b = new WriteBatch()) {
      b.put(store.rocks.metaColumn(), MvccStore.META_CONSISTENT_INDEX, MvccStore.longBytes(applied));
      store.rocks.db().write(store.rocks.writeOptions, b);
      store.appliedIndex = applied;
    } catch (RocksDBException e) {
      store.life.failed = true;
      throw new KvStorageException("commit", e);
    }
  }

  private void commit(WriteTxn tw, long applied) {
    if (store.currentRev != tw.beginRev) {
      throw new IllegalStateException("revision moved under a write txn: " + store.currentRev + " != " + tw.beginRev);
    }
    boolean changed = tw.changes() > 0;
    if (!changed && applied == 0 && tw.batch.count() == 0) {
      return;
    }
    try {
      if (applied > 0) {
        tw.batch.put(store.rocks.metaColumn(), MvccStore.META_CONSISTENT_INDEX, MvccStore.longBytes(applied));
      }
      if (changed) {
        tw.batch.put(store.rocks.metaColumn(), MvccStore.META_CURRENT_REV, MvccStore.longBytes(tw.rev));
      }
      store.rocks.db().write(store.rocks.writeOptions, tw.batch);
    } catch (RocksDBException e) {
      tw.rollback();
      throw new KvStorageException("commit", e);
    }
    if (applied > 0) {
      store.appliedIndex = applied;
    }
    if (changed) {
      store.currentRev = tw.rev;
      store.leaseTable.onCommitted(tw.events);
      store.metrics.events.increment(tw.events.size());
      notifyListeners(tw.rev, List.copyOf(tw.events));
    }
  }

  /** Writes one batch (built by {@code fill}) with the applied index, after anything staged. */
  void commitBatch(java.util.function.Consumer<WriteBatch> fill, long appliedIndex) {
    store.writeLock.lock();
    try {
      store.life.ensureWritable();
      flushStaged();
      try (WriteBatch b = new WriteBatch()) {
        fill.accept(b);
        if (appliedIndex > 0) {
          b.put(store.rocks.metaColumn(), MvccStore.META_CONSISTENT_INDEX, MvccStore.longBytes(appliedIndex));
        }
        store.rocks.db().write(store.rocks.writeOptions, b);
      } catch (RocksDBException e) {
        store.life.failed = true;
        throw new KvStorageException("commit", e);
      }
      if (appliedIndex > 0) {
        store.appliedIndex = appliedIndex;
      }
    } finally {
      store.writeLock.unlock();
    }
  }

  private void notifyListeners(long rev, List<Event> events) {
    for (RevisionListener l : store.listeners) {
      try {
        l.onRevision(rev, events);
      } catch (RuntimeException e) {
        LOG.error("revision listener {} failed at revision {}", l, rev, e);
      }
    }
  }
}
