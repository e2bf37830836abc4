package io.keel.kvstore;

import com.google.protobuf.ByteString;
import io.keel.proto.mvccpb.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The store's leases (etcd's "lease" bucket): each lease's id and granted TTL, persisted in the store's meta
 * column family under {@code lease/<id>} in the same write batch as the Raft index that granted or revoked it,
 * and which live keys are attached to it (rebuilt on open from the keys' own lease fields, kept up to date from
 * every committed revision's events). Expiry is not kept here: it is a leader's business (the server's lessor).
 *
 * <p>Threading: mutated only by the store's writer thread; read by any thread (concurrent maps).
 */
public final class LeaseTable {
  static final byte[] PREFIX = {'l', 'e', 'a', 's', 'e', '/'};

  /** Told on the writer thread after a grant or revoke is committed; must not block. */
  public interface Listener {
    void onGranted(long leaseId, long ttlSeconds);

    void onRevoked(long leaseId);
  }

  /** A lease as stored: id and granted TTL in seconds. */
  public record Lease(long id, long ttlSeconds) {}

  private final Map<Long, Lease> leases = new ConcurrentHashMap<>();
  private final Map<Long, Set<ByteString>> keysByLease = new ConcurrentHashMap<>();
  private final Map<ByteString, Long> leaseByKey = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  LeaseTable() {}

  public void addListener(Listener l) {
    listeners.add(Objects.requireNonNull(l));
  }

  public boolean exists(long leaseId) {
    return leases.containsKey(leaseId);
  }

  /** The lease, or null. */
  public Lease get(long leaseId) {
    return leases.get(leaseId);
  }

  public int size() {
    return leases.size();
  }

  /** A snapshot of all leases. */
  public List<Lease> all() {
    return new ArrayList<>(leases.values());
  }

  /** The live keys attached to a lease, sorted (empty if none or no such lease). */
  public List<ByteString> keys(long leaseId) {
    Set<ByteString> s = keysByLease.get(leaseId);
    if (s == null) {
      return List.of();
    }
    List<ByteString> out = new ArrayList<>(s);
    out.sort(ByteString.unsignedLexicographicalComparator());
    return out;
  }

  /** The lease a live key is attached to, or 0. */
  public long leaseOf(ByteString key) {
    return leaseByKey.getOrDefault(key, 0L);
  }

  // ---- writer thread (package-private: the store drives these) ----

  static byte[] recordKey(long leaseId) {
    byte[] k = new byte[PREFIX.length + 8];
    System.arraycopy(PREFIX, 0, k, 0, PREFIX.length);
    Revisions.putLong(k, PREFIX.length, leaseId);
    return k;
  }

  void writeGrant(WriteBatch batch, ColumnFamilyHandle meta, long leaseId, long ttlSeconds) throws RocksDBException {
    byte[] v = new byte[8];
    Revisions.putLong(v, 0, ttlSeconds);
    batch.put(meta, recordKey(leaseId), v);
  }

  void writeRevoke(WriteBatch batch, ColumnFamilyHandle meta, long leaseId) throws RocksDBException {
    batch.delete(meta, recordKey(leaseId));
  }

  void granted(long leaseId, long ttlSeconds) {
    leases.put(leaseId, new Lease(leaseId, ttlSeconds));
    for (Listener l : listeners) {
      l.onGranted(leaseId, ttlSeconds);
    }
  }

  void revoked(long leaseId) {
    leases.remove(leaseId);
    Set<ByteString> left = keysByLease.remove(leaseId);
    if (left != null && !left.isEmpty()) {
      throw new IllegalStateException("lease " + leaseId + " revoked with keys still attached: " + left.size());
    }
    for (Listener l : listeners) {
      l.onRevoked(leaseId);
    }
  }

  /**
   * Follows one committed revision: puts attach (and move) keys, deletes detach them. The key's lease before the
   * revision is this table's own record of it (etcd's lessor keeps the same item map), so events need no prev_kv.
   * Called for every committed revision in order, so the record is always that of the key's latest value.
   */
  void onCommitted(List<Event> events) {
    for (Event e : events) {
      ByteString key = e.getKv().getKey();
      long before = leaseByKey.getOrDefault(key, 0L);
      long after = e.getType() == Event.EventType.PUT ? e.getKv().getLease() : 0;
      if (before != after) {
        detach(key, before);
        attach(key, after);
      }
    }
  }

  private void attach(ByteString key, long leaseId) {
    if (leaseId == 0) {
      return;
    }
    leaseByKey.put(key, leaseId);
    keysByLease.computeIfAbsent(leaseId, id -> ConcurrentHashMap.newKeySet()).add(key);
  }

  private void detach(ByteString key, long leaseId) {
    if (leaseId == 0) {
      return;
    }
    leaseByKey.remove(key);
    Set<ByteString> s = keysByLease.get(leaseId);
    if (s != null) {
      s.remove(key);
      if (s.isEmpty()) {
        keysByLease.remove(leaseId);
      }
    }
  }

  /** Replaces everything with the leases stored in {@code meta}; attachments follow via {@link #restoreKey}. */
  void loadRecords(RocksDB db, ColumnFamilyHandle meta) throws RocksDBException {
    leases.clear();
    keysByLease.clear();
    leaseByKey.clear();
    try (RocksIterator it = db.newIterator(meta)) {
      for (it.seek(PREFIX); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (!startsWithPrefix(k)) {
          break;
        }
        if (k.length != PREFIX.length + 8 || it.value().length != 8) {
          throw new IllegalStateException("corrupt lease record in the meta column family");
        }
        long id = Revisions.getLong(k, PREFIX.length);
        leases.put(id, new Lease(id, Revisions.getLong(it.value(), 0)));
      }
      it.status();
    }
  }

  /** On open, for every stored revision in order: the key's lease at that revision (0 for none or a delete). */
  void replay(ByteString key, long leaseId) {
    long before = leaseByKey.getOrDefault(key, 0L);
    if (before != leaseId) {
      detach(key, before);
      if (leases.containsKey(leaseId)) {
        attach(key, leaseId);
      }
    }
  }

  private static boolean startsWithPrefix(byte[] k) {
    if (k.length < PREFIX.length) {
      return false;
    }
    for (int i = 0; i < PREFIX.length; i++) {
      if (k[i] != PREFIX[i]) {
        return false;
      }
    }
    return true;
  }
}
