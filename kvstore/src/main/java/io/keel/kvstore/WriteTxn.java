package io.keel.kvstore;

import com.google.protobuf.ByteString;
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

  /** The live KV of key at the latest revision (including this txn's writes), or null. */
  KeyValue latest(ByteString key) {
    long[] rec = store.index().get(key.toByteArray());
    if (rec == null) {
      return null;
    }
    int pos = KeyHistory.latest(rec);
    return pos < 0 ? null : Ranges.mustRead(this, KeyHistory.mainAt(rec, pos), KeyHistory.subAt(rec, pos));
  }

  /** etcd applier Put inside a write txn; preconditions (lease, ignore_*) are checked by the caller. */
  PutResponse put(PutRequest p) {
    KeyValue prev = latest(p.getKey());
    if ((p.getIgnoreValue() || p.getIgnoreLease()) && prev == null) {
      throw EtcdError.KEY_NOT_FOUND.exception();
    }
    ByteString value = p.getIgnoreValue() ? prev.getValue() : p.getValue();
    long lease = p.getIgnoreLease() ? prev.getLease() : p.getLease();
    PutResponse.Builder resp = PutResponse.newBuilder();
    if (p.getPrevKv() && prev != null) {
      resp.setPrevKv(prev);
    }
    long sub = changes();
    byte[] key = p.getKey().toByteArray();
    KeyValue kv = KeyValue.newBuilder()
        .setKey(p.getKey())
        .setCreateRevision(prev == null ? rev : prev.getCreateRevision())
        .setModRevision(rev)
        .setVersion(prev == null ? 1 : prev.getVersion() + 1)
        .setValue(value)
        .setLease(lease)
        .build();
    try {
      batch.put(store.keyColumn(), Revisions.toBytes(rev, sub, false), kv.toByteArray());
    } catch (RocksDBException e) {
      throw new KvStorageException("write batch put", e);
    }
    KeyIndex index = store.index();
    long[] before = index.get(key);
    undo.putIfAbsent(p.getKey(), before);
    index.put(key, KeyHistory.put(before, rev, sub));
    pending.put(sub, kv);
    Event.Builder ev = Event.newBuilder().setType(Event.EventType.PUT).setKv(kv);
    if (prev != null) {
      ev.setPrevKv(prev);
    }
    events.add(ev.build());
    return resp.setHeader(ResponseHeader.newBuilder().setRevision(rev)).build();
  }

  /** etcd applier DeleteRange inside a write txn. */
  DeleteRangeResponse deleteRange(DeleteRangeRequest dr) {
    byte[] end = Ranges.scanEnd(dr.getRangeEnd());
    List<KeyValue> prevs = Ranges.kvs(store.index(), this, dr.getKey().toByteArray(), end, rev);
    DeleteRangeResponse.Builder resp = DeleteRangeResponse.newBuilder();
    if (dr.getPrevKv()) {
      resp.addAllPrevKvs(prevs);
    }
    KeyIndex index = store.index();
    for (KeyValue prev : prevs) {
      long sub = changes();
      KeyValue tomb = KeyValue.newBuilder().setKey(prev.getKey()).build();
      try {
        batch.put(store.keyColumn(), Revisions.toBytes(rev, sub, true), tomb.toByteArray());
      } catch (RocksDBException e) {
        throw new KvStorageException("write batch delete", e);
      }
      byte[] key = prev.getKey().toByteArray();
      long[] before = index.get(key);
      undo.putIfAbsent(prev.getKey(), before);
      index.put(key, KeyHistory.tombstone(before, rev, sub));
      events.add(Event.newBuilder()
          .setType(Event.EventType.DELETE)
          .setKv(KeyValue.newBuilder().setKey(prev.getKey()).setModRevision(rev))
          .setPrevKv(prev)
          .build());
    }
    resp.setDeleted(prevs.size());
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
