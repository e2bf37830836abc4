package io.keel.kvstore;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * Reads committed history as watch events (etcd's unsynced-watcher catch-up): the "key" column family from a
 * revision on, tombstones becoming DELETE events whose kv carries only key and mod_revision, as etcd sends.
 */
final class EventReader {
  private EventReader() {}

  static List<Event> read(MvccStore store, long fromRev, long toRev, boolean withPrevKv, int maxEvents) {
    List<Event> out = new ArrayList<>();
    long compact = store.compactRev;
    byte[] upper = Revisions.lowerBound(toRev + 1);
    Snapshot snap = store.db().getSnapshot();
    try (ReadOptions ro = new ReadOptions().setSnapshot(snap);
        RocksIterator it = store.db().newIterator(store.keyColumn(), ro)) {
      long lastMain = -1;
      for (it.seek(Revisions.lowerBound(fromRev)); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (java.util.Arrays.compareUnsigned(k, upper) >= 0) {
          break;
        }
        long main = Revisions.main(k);
        if (main != lastMain && out.size() >= maxEvents && !out.isEmpty()) {
          break; // stop on a revision boundary
        }
        lastMain = main;
        KeyValue kv = KeyValue.parseFrom(it.value());
        Event.Builder ev = Event.newBuilder();
        if (Revisions.isTombstone(k)) {
          ev.setType(Event.EventType.DELETE).setKv(kv.toBuilder().setModRevision(main));
        } else {
          ev.setType(Event.EventType.PUT).setKv(kv);
        }
        if (withPrevKv && main - 1 >= compact) { // etcd: prev_kv read at main - 1; none once compacted
          KeyValue prev = previous(store, ro, kv, main, Revisions.sub(k));
          if (prev != null) {
            ev.setPrevKv(prev);
          }
        }
        out.add(ev.build());
      }
      it.status();
    } catch (RocksDBException e) {
      throw new KvStorageException("read events", e);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt value in key column family", e);
    } finally {
      store.db().releaseSnapshot(snap);
    }
    return out;
  }

  /** The key's value just before revision (main, sub): at main - 1, or earlier in the same txn. */
  private static KeyValue previous(MvccStore store, ReadOptions ro, KeyValue kv, long main, long sub)
      throws RocksDBException, InvalidProtocolBufferException {
    long[] rec = store.index().get(kv.getKey().toByteArray());
    if (rec == null) {
      return null;
    }
    int pos = KeyHistory.find(rec, main - 1);
    if (pos < 0) {
      return null;
    }
    byte[] v = store.db().get(store.keyColumn(), ro,
        Revisions.toBytes(KeyHistory.mainAt(rec, pos), KeyHistory.subAt(rec, pos), false));
    return v == null ? null : KeyValue.parseFrom(v);
  }
}
