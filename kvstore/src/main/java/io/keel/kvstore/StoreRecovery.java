package io.keel.kvstore;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.mvccpb.KeyValue;
import java.nio.charset.StandardCharsets;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Rebuilds the in-memory state of an opened store from RocksDB: reads the meta records (applied index, current
 * and compact revisions), replays every stored revision into the key index and the lease table's key
 * attachments, and checks that no compaction was left half done.
 */
final class StoreRecovery {
  /** What the store publishes after opening. */
  record State(long appliedIndex, long currentRev, long compactRev, long revisions) {}

  private StoreRecovery() {}

  static State recover(RocksDB db, ColumnFamilyHandle keyCf, ColumnFamilyHandle metaCf, KeyIndex index,
      LeaseTable leaseTable) throws RocksDBException {
    long metaRev = readMetaLong(db, metaCf, MvccStore.META_CURRENT_REV, 1);
    long finished = readMetaLong(db, metaCf, MvccStore.META_FINISHED_COMPACT, -1);
    long scheduled = readMetaLong(db, metaCf, MvccStore.META_SCHEDULED_COMPACT, -1);
    if (scheduled != finished) {
      throw new IllegalStateException("scheduled compaction " + scheduled + " != finished " + finished);
    }
    long appliedIndex = readMetaLong(db, metaCf, MvccStore.META_CONSISTENT_INDEX, 0);
    leaseTable.loadRecords(db, metaCf);
    long lastRev = 1;
    long entries = 0;
    try (RocksIterator it = db.newIterator(keyCf)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] k = it.key();
        long main = Revisions.main(k);
        long sub = Revisions.sub(k);
        KeyValue kv = parse(it.value());
        byte[] key = kv.getKey().toByteArray();
        long[] rec = index.get(key);
        if (Revisions.isTombstone(k)) {
          if (KeyHistory.isLive(rec)) {
            index.put(key, KeyHistory.tombstone(rec, main, sub));
          }
          leaseTable.replay(kv.getKey(), 0);
        } else {
          index.put(key, KeyHistory.restorePut(rec, main, sub, kv.getCreateRevision(), kv.getVersion()));
          leaseTable.replay(kv.getKey(), kv.getLease());
        }
        lastRev = main;
        entries++;
      }
      it.status();
    }
    return new State(appliedIndex, Math.max(Math.max(metaRev, lastRev), finished), finished, entries);
  }

  private static long readMetaLong(RocksDB db, ColumnFamilyHandle metaCf, byte[] key, long dflt)
      throws RocksDBException {
    byte[] v = db.get(metaCf, key);
    if (v == null) {
      return dflt;
    }
    if (v.length != 8) {
      throw new IllegalStateException("bad meta value length for " + new String(key, StandardCharsets.US_ASCII));
    }
    return Revisions.getLong(v, 0);
  }

  /** A stored mvccpb.KeyValue; a value that does not parse is corruption. */
  static KeyValue parse(byte[] v) {
    try {
      return KeyValue.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt value in key column family", e);
    }
  }
}
