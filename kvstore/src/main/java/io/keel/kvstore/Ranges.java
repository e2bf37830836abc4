package io.keel.kvstore;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.mvccpb.KeyValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * etcd's Range semantics (mvcc rangeKeys + the apply layer's filtering, sorting and limit) over the index and
 * a value reader.
 */
final class Ranges {
  private static final byte[] UNBOUNDED = new byte[0];
  /** Values are fetched from RocksDB in multi-gets of this many revisions. */
  static final int READ_BATCH = 128;

  private Ranges() {}

  /**
   * etcd's range_end conventions as an index scan end: null = the single key; empty = no upper bound
   * (range_end "\0"); otherwise the exclusive end.
   */
  static byte[] scanEnd(ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      return null;
    }
    if (rangeEnd.size() == 1 && rangeEnd.byteAt(0) == 0) {
      return UNBOUNDED;
    }
    return rangeEnd.toByteArray();
  }

  /** Collected revision pairs of the keys visible at a revision. */
  static final class Hits {
    long[] revs = new long[16];
    int stored;
    long count;
  }

  /** Collects up to maxStored visible revisions (all if maxStored <= 0) and counts all of them. */
  static Hits collect(KeyIndex index, byte[] key, byte[] end, long atRev, long maxStored) {
    Hits h = new Hits();
    index.scan(key, end, (page, slot, rec) -> {
      int pos = KeyHistory.find(rec, atRev);
      if (pos >= 0) {
        h.count++;
        if (maxStored <= 0 || h.stored < maxStored) {
          if (2 * h.stored + 2 > h.revs.length) {
            h.revs = java.util.Arrays.copyOf(h.revs, h.revs.length * 2);
          }
          h.revs[2 * h.stored] = KeyHistory.mainAt(rec, pos);
          h.revs[2 * h.stored + 1] = KeyHistory.subAt(rec, pos);
          h.stored++;
        }
      }
      return true;
    });
    return h;
  }

  /** The keys visible (live) at atRev in [key, end), in order, each a private copy; reads only the index. */
  static List<byte[]> liveKeys(KeyIndex index, byte[] key, byte[] end, long atRev) {
    List<byte[]> out = new ArrayList<>();
    index.scan(key, end, (page, slot, rec) -> {
      if (KeyHistory.find(rec, atRev) >= 0) {
        out.add(page.key(slot));
      }
      return true;
    });
    return out;
  }

  /** Reads all KVs visible at atRev in [key, end). */
  static List<KeyValue> kvs(KeyIndex index, ValueReader values, byte[] key, byte[] end, long atRev) {
    Hits h = collect(index, key, end, atRev, 0);
    List<KeyValue> out = new ArrayList<>(h.stored);
    for (int i = 0; i < h.stored; i += READ_BATCH) {
      int n = Math.min(READ_BATCH, h.stored - i);
      KeyValue[] batch = values.readAll(h.revs, i, n);
      for (int j = 0; j < n; j++) {
        if (batch[j] == null) {
          throw new MissingRevisionException(h.revs[2 * (i + j)], h.revs[2 * (i + j) + 1]);
        }
        out.add(batch[j]);
      }
    }
    return out;
  }

  static KeyValue mustRead(ValueReader values, long main, long sub) {
    KeyValue kv = values.read(main, sub);
    if (kv == null) {
      throw new MissingRevisionException(main, sub);
    }
    return kv;
  }

  /** Thrown when the index names a revision the backend no longer has (a concurrent compaction). */
  static final class MissingRevisionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MissingRevisionException(long main, long sub) {
      super("revision " + main + "_" + sub + " missing from the backend", null, false, false);
    }
  }

  /**
   * Executes a range as etcd's applier does. {@code curRev} is the revision of the read view (also the
   * header revision), {@code compactRev} the current compact revision.
   */
  static RangeResponse range(
      KeyIndex index, ValueReader values, RangeRequest r, long curRev, long compactRev) {
    long rev = r.getRevision();
    if (rev > curRev) {
      throw EtcdError.FUTURE_REV.exception();
    }
    if (rev <= 0) {
      rev = curRev;
    }
    if (rev < compactRev) {
      throw EtcdError.COMPACTED.exception();
    }
    RangeRequest.SortOrder order = r.getSortOrder();
    RangeRequest.SortTarget target = r.getSortTarget();
    boolean filtered = r.getMinModRevision() != 0 || r.getMaxModRevision() != 0
        || r.getMinCreateRevision() != 0 || r.getMaxCreateRevision() != 0;
    long limit = r.getLimit();
    if (order != RangeRequest.SortOrder.NONE || filtered) {
      limit = 0;
    }
    if (limit > 0) {
      limit++; // one extra for 'more'
    }
    Hits h = collect(index, r.getKey().toByteArray(), scanEnd(r.getRangeEnd()), rev,
        r.getCountOnly() ? 1 : limit);
    RangeResponse.Builder resp = RangeResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(curRev))
        .setCount(h.count);
    if (r.getCountOnly() || h.count == 0) {
      return resp.build();
    }
    List<KeyValue> kvs = new ArrayList<>(h.stored);
    KeyValue[] batch = null;
    for (int i = 0; i < h.stored; i++) {
      if (i % READ_BATCH == 0) {
        batch = values.readAll(h.revs, i, Math.min(READ_BATCH, h.stored - i));
      }
      KeyValue kv = batch[i % READ_BATCH];
      if (kv == null) {
        throw new MissingRevisionException(h.revs[2 * i], h.revs[2 * i + 1]);
      }
      if (r.getMaxModRevision() != 0 && kv.getModRevision() > r.getMaxModRevision()) {
        continue;
      }
      if (r.getMinModRevision() != 0 && kv.getModRevision() < r.getMinModRevision()) {
        continue;
      }
      if (r.getMaxCreateRevision() != 0 && kv.getCreateRevision() > r.getMaxCreateRevision()) {
        continue;
      }
      if (r.getMinCreateRevision() != 0 && kv.getCreateRevision() < r.getMinCreateRevision()) {
        continue;
      }
      kvs.add(kv);
    }
    if (target != RangeRequest.SortTarget.KEY && order == RangeRequest.SortOrder.NONE) {
      order = RangeRequest.SortOrder.ASCEND;
    }
    if (order == RangeRequest.SortOrder.ASCEND || order == RangeRequest.SortOrder.DESCEND) {
      Comparator<KeyValue> cmp = comparator(target);
      if (order == RangeRequest.SortOrder.DESCEND) {
        cmp = cmp.reversed();
      }
      kvs.sort(cmp);
    }
    if (r.getLimit() > 0 && kvs.size() > r.getLimit()) {
      kvs = kvs.subList(0, (int) r.getLimit());
      resp.setMore(true);
    }
    for (KeyValue kv : kvs) {
      resp.addKvs(r.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
    }
    return resp.build();
  }

  private static Comparator<KeyValue> comparator(RangeRequest.SortTarget target) {
    switch (target) {
      case KEY:
        return (a, b) -> ByteString.unsignedLexicographicalComparator().compare(a.getKey(), b.getKey());
      case VERSION:
        return Comparator.comparingLong(KeyValue::getVersion);
      case CREATE:
        return Comparator.comparingLong(KeyValue::getCreateRevision);
      case MOD:
        return Comparator.comparingLong(KeyValue::getModRevision);
      case VALUE:
        return (a, b) -> ByteString.unsignedLexicographicalComparator().compare(a.getValue(), b.getValue());
      default:
        throw EtcdError.INVALID_SORT_OPTION.exception();
    }
  }
}
