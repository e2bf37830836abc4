package io.keel.kvstore;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.DeleteRangeResponse;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.PutResponse;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * One write transaction on the writer thread: all its changes share main revision {@code beginRev + 1} with
 * increasing sub-revisions, go into one RocksDB WriteBatch, and update the index as they happen (readers
 * ignore revisions above the published current revision). Reads inside the transaction see its own writes.
 * Inside a {@link WriteGroup} it starts from the group's staged revision, writes into the group's batch and
 * reads the values earlier transactions of the group staged.
 */
final class WriteTxn implements ValueReader, AutoCloseable {
  private final MvccStore store;
  final long beginRev;
  final long rev;
  final WriteBatch batch;
  private final WriteGroup group; // null: a transaction committed on its own
  final List<Event> events = new ArrayList<>();
  private final Map<Long, KeyValue> pending = new HashMap<>();
  /** Index records as they were before this txn touched them (null = key absent), for rollback. */
  private final Map<ByteString, long[]> undo = new HashMap<>();

  WriteTxn(MvccStore store) {
    this(store, null);
  }

  WriteTxn(MvccStore store, WriteGroup group) {
    this.store = store;
    this.group = group;
    this.beginRev = group == null ? store.currentRevision() : group.rev;
    this.rev = beginRev + 1;
    this.batch = group == null ? new WriteBatch() : group.batch;
  }

  /** This transaction's values by sub-revision (handed to its group once it is staged). */
  Map<Long, KeyValue> pendingValues() {
    return pending;
  }

  int changes() {
    return events.size();
  }

  /** The revision this transaction's reads see (etcd: beginRev, +1 once it has changes). */
  long readRev() {
    return events.isEmpty() ? beginRev : rev;
  }

  @Override
  public KeyValue read(long main, long sub) {
    if (main == rev) {
      return pending.get(sub);
    }
    if (group != null && group.holds(main)) {
      return group.read(main, sub);
    }
    return store.readCommitted(main, sub);
  }

  RangeResponse range(RangeRequest r) {
    return Ranges.range(store.index(), this, r, readRev(), store.compactRevisionRaw());
  }

  /** Whether key is live at the latest revision (including this txn's writes); reads only the index. */
  boolean isLive(ByteString key) {
    long[] rec = store.index().get(key.toByteArray());
    return rec != null && KeyHistory.latest(rec) >= 0;
  }

  /**
   * etcd applier Put inside a write txn; preconditions (lease, ignore_*) are checked by the caller. The previous
   * value is read only when the request needs it (prev_kv, ignore_value, ignore_lease): create_revision and
   * version come from the key's index record, the old lease is the {@link LeaseTable}'s business, and the event
   * carries no prev_kv (watchers that want it fetch it, as etcd's watch server does).
   */
  PutResponse put(PutRequest p) {
    byte[] key = p.getKey().toByteArray();
    KeyIndex index = store.index();
    long[] before = index.get(key);
    int pos = before == null ? -1 : KeyHistory.latest(before);
    boolean live = pos >= 0;
    boolean needPrev = p.getPrevKv() || p.getIgnoreValue() || p.getIgnoreLease();
    if ((p.getIgnoreValue() || p.getIgnoreLease()) && !live) {
      throw EtcdError.KEY_NOT_FOUND.exception();
    }
    KeyValue prev = needPrev && live
        ? Ranges.mustRead(this, KeyHistory.mainAt(before, pos), KeyHistory.subAt(before, pos)) : null;
    ByteString value = p.getIgnoreValue() ? prev.getValue() : p.getValue();
    long lease = p.getIgnoreLease() ? prev.getLease() : p.getLease();
    PutResponse.Builder resp = PutResponse.newBuilder();
    if (p.getPrevKv() && prev != null) {
      resp.setPrevKv(prev);
    }
    long sub = changes();
    KeyValue kv = KeyValue.newBuilder()
        .setKey(p.getKey())
        .setCreateRevision(live ? KeyHistory.liveCreated(before) : rev)
        .setModRevision(rev)
        .setVersion(live ? KeyHistory.liveVersion(before) + 1 : 1)
        .setValue(value)
        .setLease(lease)
        .build();
    if (prev != null && (prev.getCreateRevision() != kv.getCreateRevision()
        || prev.getVersion() + 1 != kv.getVersion())) {
      throw new IllegalStateException("index record of " + p.getKey().toStringUtf8() + " disagrees with its value "
          + prev.getModRevision() + ": created " + prev.getCreateRevision() + " version " + prev.getVersion());
    }
    try {
      batch.put(store.keyColumn(), Revisions.toBytes(rev, sub, false), kv.toByteArray());
    } catch (RocksDBException e) {
      throw new KvStorageException("write batch put", e);
    }
    undo.putIfAbsent(p.getKey(), before);
    index.put(key, KeyHistory.put(before, rev, sub));
    pending.put(sub, kv);
    events.add(Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build());
    return resp.setHeader(ResponseHeader.newBuilder().setRevision(rev)).build();
  }

  /**
   * etcd applier DeleteRange inside a write txn. The keys come from the index; their values are read only for
   * prev_kv in the response. DELETE events carry no prev_kv (fetched on demand by watchers that want it).
   */
  DeleteRangeResponse deleteRange(DeleteRangeRequest dr) {
    byte[] end = Ranges.scanEnd(dr.getRangeEnd());
    KeyIndex index = store.index();
    List<byte[]> keys = Ranges.liveKeys(index, dr.getKey().toByteArray(), end, rev);
    DeleteRangeResponse.Builder resp = DeleteRangeResponse.newBuilder();
    if (dr.getPrevKv()) {
      List<KeyValue> prevs = Ranges.kvs(index, this, dr.getKey().toByteArray(), end, rev);
      if (prevs.size() != keys.size()) {
        throw new IllegalStateException("delete range read " + prevs.size() + " values for " + keys.size() + " keys");
      }
      resp.addAllPrevKvs(prevs);
    }
    for (byte[] key : keys) {
      long sub = changes();
      ByteString k = UnsafeByteOperations.unsafeWrap(key); // a private copy from the index
      KeyValue tomb = KeyValue.newBuilder().setKey(k).build();
      try {
        batch.put(store.keyColumn(), Revisions.toBytes(rev, sub, true), tomb.toByteArray());
      } catch (RocksDBException e) {
        throw new KvStorageException("write batch delete", e);
      }
      long[] before = index.get(key);
      undo.putIfAbsent(k, before);
      index.put(key, KeyHistory.tombstone(before, rev, sub));
      events.add(Event.newBuilder()
          .setType(Event.EventType.DELETE)
          .setKv(KeyValue.newBuilder().setKey(k).setModRevision(rev))
          .build());
    }
    resp.setDeleted(keys.size());
    resp.setHeader(ResponseHeader.newBuilder().setRevision(changes() > 0 ? rev : beginRev));
    return resp.build();
  }

  /** Restores every index record this txn changed (before anything was committed or published). */
  void rollback() {
    KeyIndex index = store.index();
    for (Map.Entry<ByteString, long[]> e : undo.entrySet()) {
      if (e.getValue() == null) {
        index.remove(e.getKey().toByteArray());
      } else {
        index.put(e.getKey().toByteArray(), e.getValue());
      }
    }
    undo.clear();
    pending.clear();
    events.clear();
  }

  @Override
  public void close() {
    if (group == null) {
      batch.close(); // a group's batch is closed by the group
    }
  }
}
