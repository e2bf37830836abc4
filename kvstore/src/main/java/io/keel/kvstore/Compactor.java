package io.keel.kvstore;

import io.keel.proto.mvccpb.KeyValue;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * etcd compaction at a revision: trims every key's history in the index (keeping each live key's latest
 * revision {@code <= rev}, dropping deleted keys entirely), then deletes from the "key" column family every
 * revision {@code <= rev} the index no longer holds — except a tombstone AT {@code rev}: etcd tells a watcher
 * whose start revision was compacted to resume at the compact revision, so that revision's DELETE events must
 * still be readable (etcd #18089, fixed upstream by keeping the tombstone until the next compaction). Runs on
 * the writer thread; index and disk change in one step, the disk part in one WriteBatch together with the
 * compact revision and applied index.
 */
final class Compactor {
  private Compactor() {}

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
