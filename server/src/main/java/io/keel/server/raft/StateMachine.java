package io.keel.server.raft;

import io.keel.kvstore.EtcdError;
import io.keel.kvstore.EtcdException;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.LeaseGrantResponse;
import io.keel.proto.etcdserverpb.LeaseRevokeResponse;
import io.keel.proto.internal.InternalRequest;
import io.keel.server.api.Headers;
import io.keel.server.maintenance.AlarmStore;

/**
 * Applies committed requests to the MVCC store in log order, each with its Raft index (stored in the same
 * RocksDB write batch, so a restart replays exactly the entries the store has not seen). Deterministic: the
 * same log gives every member the same store. Returns the client's response, or the etcd error it earned.
 */
final class StateMachine {
  private final MvccStore store;
  private final Headers headers;
  private final ClusterState cluster;
  private final AlarmStore alarms;

  StateMachine(MvccStore store, Headers headers, ClusterState cluster, AlarmStore alarms) {
    this.alarms = alarms;
    this.store = store;
    this.headers = headers;
    this.cluster = cluster;
  }

  long appliedIndex() {
    return store.appliedIndex();
  }

  /**
   * Starts group apply: the key-space writes of the following entries go into one RocksDB batch, written by
   * {@link #commitGroup()} (see {@link MvccStore#beginGroup()}); every other request first writes what is staged.
   */
  void beginGroup() {
    store.beginGroup();
  }

  /** Writes and publishes the group; the caller answers its clients only after this returns. */
  void commitGroup() {
    store.commitGroup();
  }

  /** Drops an unwritten group after a failure (the store then refuses writes; a restart replays the log). */
  void abandonGroup() {
    store.abandonGroup();
  }

  /** Applies one request; an etcd error is returned (not thrown) so the loop goes on with the next entry. */
  Object apply(long index, InternalRequest req) {
    try {
      if (!isKeySpaceWrite(req)) {
        store.flushGroup(); // leases, alarms, cluster records read or write the store as of this entry
      }
      if (alarms.refuses(req)) {
        return EtcdError.NO_SPACE.exception(); // etcd's capped applier: NOSPACE refuses data on every member
      }
      return switch (req.getRequestCase()) {
        case PUT -> {
          var r = store.put(req.getPut(), index);
          yield r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
        }
        case DELETE_RANGE -> {
          var r = store.deleteRange(req.getDeleteRange(), index);
          yield r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
        }
        case TXN -> {
          var r = store.txn(req.getTxn(), index);
          yield r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
        }
        case COMPACTION -> {
          var r = store.compact(req.getCompaction(), index);
          yield r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
        }
        case MEMBER_ATTRIBUTES -> {
          cluster.publish(req.getMemberAttributes());
          yield Boolean.TRUE;
        }
        case CLUSTER_VERSION -> {
          cluster.setClusterVersion(req.getClusterVersion());
          yield Boolean.TRUE;
        }
        case LEASE_GRANT -> {
          var g = req.getLeaseGrant();
          store.leaseGrant(g.getID(), g.getTTL(), index);
          yield LeaseGrantResponse.newBuilder().setHeader(headers.current()).setID(g.getID()).setTTL(g.getTTL())
              .build();
        }
        case LEASE_REVOKE -> LeaseRevokeResponse.newBuilder()
            .setHeader(headers.complete(store.leaseRevoke(req.getLeaseRevoke().getID(), index))).build();
        case ALARM -> alarms.apply(req.getAlarm(), index).toBuilder().setHeader(headers.current()).build();
        case MEMBER_UPDATE -> {
          cluster.updatePeerUrls(req.getMemberUpdate());
          yield Boolean.TRUE;
        }
        case REQUEST_NOT_SET -> throw new IllegalStateException("empty request in the log at index " + index);
      };
    } catch (EtcdException e) {
      return e;
    }
  }

  /** Requests that only touch the key space (staged in a group apply). */
  private static boolean isKeySpaceWrite(InternalRequest req) {
    return switch (req.getRequestCase()) {
      case PUT, DELETE_RANGE, TXN -> true;
      default -> false;
    };
  }
}
