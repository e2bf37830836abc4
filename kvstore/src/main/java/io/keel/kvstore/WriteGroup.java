package io.keel.kvstore;

import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Writes of several consecutive Raft entries staged in ONE RocksDB WriteBatch (group apply): each entry's write
 * transaction takes the next revision as if the earlier ones were committed, reads their values from this
 * group's overlay (they are not in RocksDB yet), and its events wait here until the batch is written. Nothing is
 * published (current revision, applied index, listeners) before that write, so readers on other threads see
 * the store as it was before the group or after it, never in between. Owned by the store's writer thread.
 */
final class WriteGroup implements AutoCloseable {
  /** One committed revision's events, delivered to listeners after the batch is written. */
  record Revision(long rev, List<Event> events) {}

  final WriteBatch batch = new WriteBatch();
  /** The revision the next transaction starts from (published current revision + staged revisions). */
  long rev;
  /** Highest Raft index staged (0 = none). */
  long applied;
  /** Staged values: main revision -> (sub revision -> KeyValue) of each staged transaction. */
  private final Map<Long, Map<Long, KeyValue>> values = new HashMap<>();
  private final List<Revision> revisions = new ArrayList<>();
  private int entries;

  WriteGroup(long currentRev) {
    this.rev = currentRev;
  }

  /** Whether revision {@code main} was staged by this group (its values are here, not in RocksDB). */
  boolean holds(long main) {
    return main > rev - revisions.size() && main <= rev;
  }

  /** A value staged by an earlier transaction of this group, or null. */
  KeyValue read(long main, long sub) {
    Map<Long, KeyValue> m = values.get(main);
    return m == null ? null : m.get(sub);
  }

  boolean isEmpty() {
    return entries == 0;
  }

  int entries() {
    return entries;
  }

  long batchBytes() {
    return batch.getDataSize();
  }

  /** Marks the start of one entry's writes, so a failed transaction can drop exactly them. */
  void savePoint() {
    batch.setSavePoint();
  }

  /** Drops the writes since {@link #savePoint()} (the transaction failed its preconditions). */
  void rollbackToSavePoint() {
    try {
      batch.rollbackToSavePoint();
    } catch (RocksDBException e) {
      throw new KvStorageException("write batch rollback", e);
    }
  }

  /** Forgets the last save point (its transaction succeeded). */
  void popSavePoint() {
    try {
      batch.popSavePoint();
    } catch (RocksDBException e) {
      throw new KvStorageException("write batch save point", e);
    }
  }

  /** Records one applied entry (its transaction's writes are already in the batch). */
  void staged(long appliedIndex, long txnRev, List<Event> events, Map<Long, KeyValue> pendingBySub) {
    if (appliedIndex > 0) {
      if (appliedIndex <= applied) {
        throw new IllegalStateException("applied index " + appliedIndex + " after " + applied + " in one group");
      }
      applied = appliedIndex;
    }
    if (!events.isEmpty()) {
      if (txnRev != rev + 1) {
        throw new IllegalStateException("staged revision " + txnRev + " does not follow " + rev);
      }
      rev = txnRev;
      values.put(txnRev, pendingBySub); // the finished transaction's own map; nothing changes it any more
      revisions.add(new Revision(txnRev, List.copyOf(events)));
    }
    entries++;
  }

  /** Records an entry that wrote nothing but its applied index (it failed an etcd precondition). */
  void stagedIndexOnly(long appliedIndex) {
    staged(appliedIndex, rev, List.of(), Map.of());
  }

  List<Revision> revisions() {
    return revisions;
  }

  @Override
  public void close() {
    batch.close();
  }
}
