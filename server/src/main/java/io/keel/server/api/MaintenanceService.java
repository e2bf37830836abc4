package io.keel.server.api;

import io.grpc.stub.StreamObserver;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.AlarmRequest;
import io.keel.proto.etcdserverpb.AlarmResponse;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.HashKVResponse;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.MoveLeaderRequest;
import io.keel.proto.etcdserverpb.MoveLeaderResponse;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import io.keel.proto.etcdserverpb.Member;
import io.keel.server.raft.RaftMember;
import java.util.List;
import java.util.function.Supplier;

/**
 * etcd's Maintenance service for one member: Status, HashKV, Alarm (none raised yet) and MoveLeader.
 * Defragment and Snapshot arrive with durable snapshots in the replication issue; unimplemented calls answer
 * UNIMPLEMENTED rather than pretending.
 */
public final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  /** The etcd API version Keel speaks; etcd clients gate features on the major.minor of this string. */
  public static final String API_VERSION = "3.4.0";

  private final MvccStore store;
  private final RaftMember member;
  private final Headers headers;
  private final Supplier<List<Member>> members;
  private final long quotaBackendBytes;

  public MaintenanceService(MvccStore store, RaftMember member, Headers headers, Supplier<List<Member>> members,
      long quotaBackendBytes) {
    this.store = store;
    this.member = member;
    this.headers = headers;
    this.members = members;
    this.quotaBackendBytes = quotaBackendBytes;
  }

  @Override
  public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
    try {
      out.onNext(StatusResponse.newBuilder()
          .setHeader(headers.current())
          .setVersion(API_VERSION)
          .setDbSize(store.dbSizeBytes())
          .setDbSizeInUse(store.dbSizeInUseBytes())
          .setLeader(member.leaderId())
          .setRaftIndex(member.commitIndex())
          .setRaftAppliedIndex(member.appliedIndex())
          .setRaftTerm(member.term())
          .setIsLearner(false)
          .setDbSizeQuota(quotaBackendBytes)
          .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  @Override
  public void hashKV(HashKVRequest req, StreamObserver<HashKVResponse> out) {
    try {
      HashKVResponse r = store.hashKV(req.getRevision());
      out.onNext(r.toBuilder().setHeader(headers.complete(r.getHeader())).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  @Override
  public void alarm(AlarmRequest req, StreamObserver<AlarmResponse> out) {
    // No alarm is ever raised by a single member yet (NOSPACE arrives with quotas); GET lists none.
    out.onNext(AlarmResponse.newBuilder().setHeader(headers.current()).build());
    out.onCompleted();
  }

  @Override
  public void moveLeader(MoveLeaderRequest req, StreamObserver<MoveLeaderResponse> out) {
    member.moveLeader(req.getTargetID(), members.get().stream().map(Member::getID).toList()).whenComplete((ok, err) -> {
      if (err != null) {
        GrpcErrors.fail(out, err);
      } else {
        out.onNext(MoveLeaderResponse.newBuilder().setHeader(headers.current()).build());
        out.onCompleted();
      }
    });
  }
}
