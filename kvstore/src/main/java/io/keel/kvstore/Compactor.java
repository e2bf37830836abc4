package io.keel.kvstore;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.CompactionResponse;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.mvccpb.KeyValue;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd compaction at a revision: trims every key's history in the index (keeping each live key's latest
 * revision {@code <= rev}, dropping deleted keys entirely), then deletes from the "key" column family every
 * revision {@code <= rev} the index no longer holds — except a tombstone AT {@code rev}: etcd tells a watcher
 * whose start revision was compacted to resume at the compact revision, so that revision's DELETE events must
 * still be readable (etcd #18089, fixed upstream by keeping the tombstone until the next compaction). Runs on
 * the writer thread; index and disk change in one step, the disk part in one WriteBatch together with the
 * compact revision and applied index. {@link #compact} is the store's entry point (checks, locks, publish).
 */
final class Compactor {
  private static final Logger LOG = LoggerFactory.getLogger(MvccStore.class);

  private Compactor() {}

  /**
   * etcd Compact on {@code store} (synchronous: physical deletion is done when this returns). Writer thread; holds
   * the store's writeLock and the compaction write lock (HashKV waits) throughout.
   */
  static CompactionResponse compact(MvccStore store, CompactionRequest req, long appliedIndex) {
    if (appliedIndex < 0) {
      throw new IllegalArgumentException("appliedIndex < 0");
    }
    return store.metrics.timed(store.metrics.compact, () -> {
      store.writeLock.lock();
      store.compactionLock.writeLock().lock();
      try {
        store.life.ensureWritable();
        store.writer.flushStaged();
        long rev = req.getRevision();
        try {
          if (rev <= store.compactRev) {
            throw EtcdError.COMPACTED.exception();
          }
          if (rev > store.currentRev) {
            throw EtcdError.FUTURE_REV.exception();
          }
        } catch (EtcdException e) {
          if (appliedIndex > 0) {
            store.writer.commitMetaOnly(appliedIndex);
          }
          throw e;
        }
        store.compactRev = rev; // publish first: readers below rev now fail instead of seeing trimmed history
        KeyIndex index = store.index();
        int removedKeys = compactIndex(index, rev);
        try (WriteBatch b = new WriteBatch()) {
          long deleted = deleteUnkept(store, index, rev, b);
          b.put(store.metaColumn(), MvccStore.META_SCHEDULED_COMPACT, MvccStore.longBytes(rev));
          b.put(store.metaColumn(), MvccStore.META_FINISHED_COMPACT, MvccStore.longBytes(rev));
          if (appliedIndex > 0) {
            b.put(store.metaColumn(), MvccStore.META_CONSISTENT_INDEX, MvccStore.longBytes(appliedIndex));
          }
          store.db().write(store.rocks.writeOptions, b);
          store.metrics.compactedRevisions.increment(deleted);
          LOG.info("compacted at revision {}: {} revisions deleted, {} keys left the index", rev, deleted,
              removedKeys);
        } catch (RocksDBException e) {
          store.life.failed = true;
          throw new KvStorageException("compaction commit", e);
        }
        if (appliedIndex > 0) {
          store.appliedIndex = appliedIndex;
        }
        return CompactionResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setRevision(store.currentRev))
            .build();
      } finally {
        store.compactionLock.writeLock().unlock();
        store.writeLock.unlock();
      }
    });
  }

  /** Trims the index; returns the number of keys removed from it. */
  static int compactIndex(KeyIndex index, long rev) {
    List<byte[]> removed = new ArrayList<>();
    index.scan(new byte[] {0}, new byte[0], (page, slot, rec) -> {
      long[] out = KeyHistory.compact(rec, rev);
      if (out == null) {
        removed.add(page.key(slot));
      } else if (out.length != rec.length) {
        index.put(page.key(slot), out);
      }
      return true;
    });
    for (byte[] k : removed) {
      index.remove(k);
    }
    return removed.size();
  }

  /** Adds to the batch the deletion of every revision {@code <= rev} the (compacted) index does not hold. */
  static long deleteUnkept(MvccStore store, KeyIndex index, long rev, WriteBatch batch) {
    long deleted = 0;
    byte[] upper = Revisions.lowerBound(rev + 1);
    try (RocksIterator it = store.db().newIterator(store.keyColumn())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (java.util.Arrays.compareUnsigned(k, upper) >= 0) {
          break;
        }
        KeyValue kv = KeyValue.parseFrom(it.value());
        long[] rec = index.get(kv.getKey().toByteArray());
        long main = Revisions.main(k);
        long sub = Revisions.sub(k);
        if (main == rev && Revisions.isTombstone(k)) {
          continue; // kept until the next compaction: a watcher told to resume at rev must see this delete
        }
        if (rec == null || !KeyHistory.contains(rec, main, sub) || Revisions.isTombstone(k)) {
          batch.delete(store.keyColumn(), k);
          deleted++;
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw new KvStorageException("compaction", e);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt value in key column family", e);
    }
    return deleted;
  }
}
