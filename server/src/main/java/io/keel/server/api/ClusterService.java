package io.keel.server.api;

import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.ClusterGrpc;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.MemberListRequest;
import io.keel.proto.etcdserverpb.MemberListResponse;
import java.util.List;
import java.util.function.Supplier;

/** etcd's Cluster service. MemberList is served; membership changes arrive with Raft replication. */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final Headers headers;
  private final Supplier<List<Member>> members;

  public ClusterService(Headers headers, Supplier<List<Member>> members) {
    this.headers = headers;
    this.members = members;
  }

  @Override
  public void memberList(MemberListRequest req, StreamObserver<MemberListResponse> out) {
    out.onNext(MemberListResponse.newBuilder().setHeader(headers.withoutRevision()).addAllMembers(members.get()).build());
    out.onCompleted();
  }
}
