package io.keel.kvstore;

import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.ResponseHeader;
import org.rocksdb.RocksDBException;

/**
 * The lease hooks of {@link MvccStore}: etcd's lease grant and revoke applies, each one write committed on its own
 * (after anything a write group staged) together with its Raft applied index; the in-memory {@link LeaseTable}
 * changes only once the batch is written. Split from the store so lease semantics sit apart from the key-space
 * write path. Writer thread only.
 */
final class LeaseApply {
  private LeaseApply() {}

  /** See {@link MvccStore#leaseGrant(long, long, long)}. */
  static void grant(MvccStore store, long leaseId, long ttlSeconds, long appliedIndex) {
    LeaseTable leaseTable = store.leaseTable;
    store.writer.writeAlone(store.metrics.lease, appliedIndex, tw -> {
      if (leaseId == 0) {
        throw EtcdError.LEASE_NOT_FOUND.exception(); // 0 means "no lease" (etcd's NoLease)
      }
      if (leaseTable.exists(leaseId)) {
        throw EtcdError.LEASE_EXIST.exception();
      }
      try {
        leaseTable.writeGrant(tw.batch, store.rocks.metaColumn(), leaseId, ttlSeconds);
      } catch (RocksDBException e) {
        throw new KvStorageException("write batch lease grant", e);
      }
      return null;
    });
    leaseTable.granted(leaseId, ttlSeconds);
  }

  /** See {@link MvccStore#leaseRevoke(long, long)}. */
  static ResponseHeader revoke(MvccStore store, long leaseId, long appliedIndex) {
    LeaseTable leaseTable = store.leaseTable;
    ResponseHeader h = store.writer.writeAlone(store.metrics.lease, appliedIndex, tw -> {
      if (!leaseTable.exists(leaseId)) {
        throw EtcdError.LEASE_NOT_FOUND.exception();
      }
      for (com.google.protobuf.ByteString key : leaseTable.keys(leaseId)) {
        tw.deleteRange(DeleteRangeRequest.newBuilder().setKey(key).build());
      }
      try {
        leaseTable.writeRevoke(tw.batch, store.rocks.metaColumn(), leaseId);
      } catch (RocksDBException e) {
        throw new KvStorageException("write batch lease revoke", e);
      }
      return ResponseHeader.newBuilder().setRevision(tw.changes() > 0 ? tw.rev : tw.beginRev).build();
    });
    leaseTable.revoked(leaseId);
    return h;
  }
}
