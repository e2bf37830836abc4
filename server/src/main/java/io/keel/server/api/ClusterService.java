package io.keel.server.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.ClusterGrpc;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.MemberAddRequest;
import io.keel.proto.etcdserverpb.MemberAddResponse;
import io.keel.proto.etcdserverpb.MemberListRequest;
import io.keel.proto.etcdserverpb.MemberListResponse;
import io.keel.proto.etcdserverpb.MemberPromoteRequest;
import io.keel.proto.etcdserverpb.MemberPromoteResponse;
import io.keel.proto.etcdserverpb.MemberRemoveRequest;
import io.keel.proto.etcdserverpb.MemberRemoveResponse;
import io.keel.proto.etcdserverpb.MemberUpdateRequest;
import io.keel.proto.etcdserverpb.MemberUpdateResponse;
import io.keel.proto.internal.ClusterMember;
import io.keel.proto.internal.InternalRequest;
import io.keel.raft.ConfChangeType;
import io.keel.server.cluster.MemberErrors;
import io.keel.server.cluster.MemberIds;
import io.keel.server.cluster.MembershipRules;
import io.keel.server.cluster.PromoteForwarder;
import io.keel.server.raft.ClusterState;
import io.keel.server.raft.RaftMember;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's Cluster service. Adds, removals and promotions go through Raft as membership entries (one at a time);
 * a peer-URL update as an ordinary entry. Each answers once this member applied it, with the members after it.
 * The checks before proposing are etcd 3.4's, with strict reconfiguration on: nothing is added unless every voter
 * has been connected to this member for the last 5 s, and a connected voter is not removed if the voters left
 * that are would lack a quorum ("etcdserver: unhealthy cluster"). A promotion is decided by the leader, which
 * alone knows whether the learner is in sync: other members forward it there.
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final Headers headers;
  private final RaftMember member;
  private final PromoteForwarder forwarder;

  public ClusterService(Headers headers, RaftMember member, PromoteForwarder forwarder) {
    this.headers = headers;
    this.member = member;
    this.forwarder = forwarder;
  }

  /** The members as etcd lists them: sorted by id, with the name and client URLs each has published. */
  public static List<Member> members(ClusterState cluster) {
    var published = cluster.members();
    List<Member> out = new ArrayList<>();
    for (ClusterMember m : cluster.group().values()) {
      var attrs = published.get(m.getId());
      out.add(Member.newBuilder().setID(m.getId()).setName(attrs == null ? "" : attrs.getName())
          .addAllPeerURLs(m.getPeerUrlsList()).addAllClientURLs(attrs == null ? List.of() : attrs.getClientUrlsList())
          .setIsLearner(m.getIsLearner()).build());
    }
    return out;
  }

  private MembershipRules rules() {
    ClusterState c = member.cluster();
    return new MembershipRules(c.group(), c.removedIds(), c.members(), new MembershipRules.Connectivity(
        member.memberId(), member::peerActiveSinceNanos, System.nanoTime()));
  }

  @Override
  public void memberList(MemberListRequest req, StreamObserver<MemberListResponse> out) {
    out.onNext(MemberListResponse.newBuilder().setHeader(headers.withoutRevision())
        .addAllMembers(members(member.cluster())).build());
    out.onCompleted();
  }

  @Override
  public void memberAdd(MemberAddRequest req, StreamObserver<MemberAddResponse> out) {
    List<String> urls = MembershipRules.parsePeerUrls(req.getPeerURLsList());
    if (urls == null) {
      out.onError(MemberErrors.BAD_URLS.asRuntimeException());
      return;
    }
    long id = MemberIds.of(urls, "", System.currentTimeMillis() / 1000);
    if (failed(out, rules().add(id, urls, req.getIsLearner()))) {
      return;
    }
    ClusterMember m = ClusterMember.newBuilder().setId(id).addAllPeerUrls(urls).setIsLearner(req.getIsLearner())
        .build();
    ConfChangeType type = req.getIsLearner() ? ConfChangeType.ADD_LEARNER_NODE : ConfChangeType.ADD_NODE;
    answer(member.changeMembership(type, m, false), out, members -> MemberAddResponse.newBuilder()
        .setHeader(headers.withoutRevision()).setMember(Member.newBuilder().setID(id).addAllPeerURLs(urls)
            .setIsLearner(req.getIsLearner())).addAllMembers(members).build());
  }

  @Override
  public void memberRemove(MemberRemoveRequest req, StreamObserver<MemberRemoveResponse> out) {
    if (failed(out, rules().remove(req.getID()))) {
      return;
    }
    ClusterMember m = ClusterMember.newBuilder().setId(req.getID()).build();
    answer(member.changeMembership(ConfChangeType.REMOVE_NODE, m, false), out, members -> MemberRemoveResponse
        .newBuilder().setHeader(headers.withoutRevision()).addAllMembers(members).build());
  }

  @Override
  public void memberUpdate(MemberUpdateRequest req, StreamObserver<MemberUpdateResponse> out) {
    List<String> urls = MembershipRules.parsePeerUrls(req.getPeerURLsList());
    if (urls == null) {
      out.onError(MemberErrors.BAD_URLS.asRuntimeException());
      return;
    }
    if (failed(out, rules().update(req.getID(), urls))) {
      return;
    }
    ClusterMember m = ClusterMember.newBuilder().setId(req.getID()).addAllPeerUrls(urls).build();
    answer(member.write(InternalRequest.newBuilder().setMemberUpdate(m)), out, members -> MemberUpdateResponse
        .newBuilder().setHeader(headers.withoutRevision()).addAllMembers(members).build());
  }

  @Override
  public void memberPromote(MemberPromoteRequest req, StreamObserver<MemberPromoteResponse> out) {
    long id = req.getID();
    member.progressMatch(id).whenComplete((match, err) -> {
      if (err != null) {
        Status s = GrpcErrors.toStatus(err).getStatus();
        if (s.getCode() == EtcdStatus.NOT_LEADER.getCode()
            && EtcdStatus.NOT_LEADER.getDescription().equals(s.getDescription())) {
          forwarder.forward(req, out); // only the leader knows whether the learner is in sync
        } else {
          out.onError(s.asRuntimeException());
        }
        return;
      }
      ClusterMember known = member.cluster().group().get(id);
      if (known != null && known.getIsLearner() && !MembershipRules.inSync(match[0], match[1])) {
        out.onError(MemberErrors.LEARNER_NOT_READY.asRuntimeException());
        return;
      }
      if (failed(out, rules().promote(id))) {
        return;
      }
      ClusterMember m = ClusterMember.newBuilder().setId(id).build();
      answer(member.changeMembership(ConfChangeType.ADD_NODE, m, true), out, members -> MemberPromoteResponse
          .newBuilder().setHeader(headers.withoutRevision()).addAllMembers(members).build());
    });
  }

  private static boolean failed(StreamObserver<?> out, Status s) {
    if (s != null) {
      out.onError(s.asRuntimeException());
      return true;
    }
    return false;
  }

  private <R> void answer(CompletableFuture<?> applied, StreamObserver<R> out,
      java.util.function.Function<List<Member>, R> response) {
    applied.whenComplete((r, err) -> {
      if (err != null) {
        GrpcErrors.fail(out, err);
      } else {
        out.onNext(response.apply(members(member.cluster())));
        out.onCompleted();
      }
    });
  }
}
