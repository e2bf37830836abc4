package io.keel.server.api;

import io.keel.proto.etcdserverpb.ResponseHeader;
import java.util.function.LongSupplier;

/** Fills a response header with this member's ids and the Raft term, keeping the revision the store chose. */
public final class Headers {
  private final long clusterId;
  private final long memberId;
  private final LongSupplier raftTerm;
  private final LongSupplier currentRevision;

  public Headers(long clusterId, long memberId, LongSupplier raftTerm, LongSupplier currentRevision) {
    this.clusterId = clusterId;
    this.memberId = memberId;
    this.raftTerm = raftTerm;
    this.currentRevision = currentRevision;
  }

  /** A header at the store's current revision (for calls that do not touch the key space). */
  public ResponseHeader current() {
    return stamp(ResponseHeader.newBuilder().setRevision(currentRevision.getAsLong()));
  }

  /** A header with no revision, as etcd sends for calls answered outside the key space (MemberList). */
  public ResponseHeader withoutRevision() {
    return stamp(ResponseHeader.newBuilder());
  }

  /** The store's header (revision set) completed with ids and term. */
  public ResponseHeader complete(ResponseHeader fromStore) {
    return stamp(fromStore.toBuilder());
  }

  private ResponseHeader stamp(ResponseHeader.Builder b) {
    return b.setClusterId(clusterId).setMemberId(memberId).setRaftTerm(raftTerm.getAsLong()).build();
  }

  public long clusterId() {
    return clusterId;
  }

  public long memberId() {
    return memberId;
  }
}
