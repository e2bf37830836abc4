package io.keel.kvstore;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.HashKVResponse;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import java.util.List;

/**
 * The read side of {@link MvccStore}: etcd Range, HashKV and the watch catch-up events, each read at the
 * published revision and re-checked against the compact revision afterwards (a compaction may overtake a read).
 * Split from the store so the read rules sit apart from the writer's. Any thread; callers hold the store's read
 * guard ({@link StoreLifecycle#reading}), so RocksDB stays open meanwhile.
 */
final class StoreReads {
  private StoreReads() {}

  static RangeResponse range(MvccStore store, RangeRequest req) {
    return store.metrics.timed(store.metrics.range, () -> {
      store.validator.checkRange(req);
      long rev = store.currentRev;
      long compact = store.compactRev;
      RangeResponse resp;
      try {
        resp = Ranges.range(store.index(), store.rocks, req, rev, compact);
      } catch (Ranges.MissingRevisionException e) {
        if (store.compactRev != compact) {
          throw EtcdError.COMPACTED.exception();
        }
        throw new IllegalStateException("index and backend disagree", e);
      }
      long readRev = req.getRevision() > 0 ? req.getRevision() : rev;
      if (readRev < store.compactRev) {
        throw EtcdError.COMPACTED.exception(); // a compaction overtook this read
      }
      return resp;
    });
  }

  static HashKVResponse hashKV(MvccStore store, long revision) {
    return store.metrics.timed(store.metrics.hash, () -> {
      store.compactionLock.readLock().lock();
      try {
        long cur = store.currentRev;
        long compact = store.compactRev;
        if (revision > 0 && revision <= compact) {
          throw EtcdError.COMPACTED.exception();
        }
        if (revision > 0 && revision > cur) {
          throw EtcdError.FUTURE_REV.exception();
        }
        long rev = revision == 0 ? cur : revision;
        int hash = HashKv.hash(store, store.index(), rev, compact);
        return HashKVResponse.newBuilder()
            .setHeader(ResponseHeader.newBuilder().setRevision(cur))
            .setHash(hash)
            .setCompactRevision(compact)
            .build();
      } finally {
        store.compactionLock.readLock().unlock();
      }
    });
  }

  static List<Event> events(MvccStore store, long fromRev, long toRev, boolean withPrevKv, int maxEvents) {
    if (fromRev < 1 || maxEvents < 1) {
      throw new IllegalArgumentException("fromRev and maxEvents must be >= 1");
    }
    long to = Math.min(toRev, store.currentRev);
    if (fromRev < store.compactRev) {
      throw EtcdError.COMPACTED.exception();
    }
    if (fromRev > to) {
      return List.of();
    }
    List<Event> out = EventReader.read(store, fromRev, to, withPrevKv, maxEvents);
    if (fromRev < store.compactRev) {
      throw EtcdError.COMPACTED.exception(); // a compaction overtook this read
    }
    return out;
  }

  /** See {@link MvccStore#previousKv}: etcd's Range of one key at modRevision - 1, null where that fails. */
  static KeyValue previousKv(MvccStore store, ByteString key, long modRevision) {
    long at = modRevision - 1;
    long compact = store.compactRev;
    if (at < 1 || at < compact || at > store.currentRev) {
      return null; // etcd: ErrCompacted (or a future revision) -> the event goes out without prev_kv
    }
    long[] rec = store.index().get(key.toByteArray());
    int pos = rec == null ? -1 : KeyHistory.find(rec, at);
    if (pos < 0) {
      return null;
    }
    KeyValue kv = store.readCommitted(KeyHistory.mainAt(rec, pos), KeyHistory.subAt(rec, pos));
    if (kv == null || at < store.compactRev) {
      return null; // a compaction overtook the read
    }
    return kv;
  }
}
