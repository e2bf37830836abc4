package io.keel.chaos.nemesis;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.cluster.Node;
import io.keel.proto.etcdserverpb.ClusterGrpc;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.MemberAddRequest;
import io.keel.proto.etcdserverpb.MemberAddResponse;
import io.keel.proto.etcdserverpb.MemberListRequest;
import io.keel.proto.etcdserverpb.MemberPromoteRequest;
import io.keel.proto.etcdserverpb.MemberRemoveRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * etcd's Cluster API as the membership nemesis uses it: every call has a deadline and goes to one member; only
 * {@link #list} tries several members. Non-idempotent calls (add, remove, promote) are retried only when refused
 * before being proposed ("unhealthy cluster"); otherwise the caller learns their outcome from a later {@link #list}.
 */
final class ClusterApi {
  static final long CALL_TIMEOUT_MS = 5_000;
  /** etcd's answer to a reconfiguration while a voter is (or was lately) disconnected. */
  static final String UNHEALTHY = "etcdserver: unhealthy cluster";
  /** How long a refused change is retried: three times etcd's 5 s health interval. */
  static final long UNHEALTHY_WAIT_MS = 15_000;
  static final long UNHEALTHY_RETRY_MS = 500;

  private ClusterApi() {
  }

  /** The peer URL a chaos member advertises (DockerCluster: its name on the run's network, port 2380). */
  static String peerUrl(Node n) {
    return "http://" + n.name() + ":2380";
  }

  /** The group as the first of {@code via} that answers sees it (linearizable: through the leader). */
  static List<Member> list(List<Node> via) throws IOException {
    StatusRuntimeException last = null;
    for (Node n : via) {
      try {
        return ClusterGrpc.newBlockingStub(n.channel()).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .memberList(MemberListRequest.newBuilder().setLinearizable(true).build()).getMembersList();
      } catch (StatusRuntimeException e) {
        last = e;
      }
    }
    throw new IOException("no member of " + names(via) + " answered MemberList", last);
  }

  /** The member of {@code members} that advertises {@code n}'s peer URL. */
  static Optional<Member> find(List<Member> members, Node n) {
    String url = peerUrl(n);
    return members.stream().filter(m -> m.getPeerURLsList().contains(url)).findFirst();
  }

  static void remove(Node via, long id) {
    whileUnhealthy(() -> ClusterGrpc.newBlockingStub(via.channel())
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .memberRemove(MemberRemoveRequest.newBuilder().setID(id).build()));
  }

  static MemberAddResponse add(Node via, String peerUrl, boolean learner) {
    return whileUnhealthy(() -> ClusterGrpc.newBlockingStub(via.channel())
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .memberAdd(MemberAddRequest.newBuilder().addPeerURLs(peerUrl).setIsLearner(learner).build()));
  }

  /**
   * Runs a membership call again while the member refuses it as "etcdserver: unhealthy cluster" (etcd's strict
   * reconfiguration check: a voter not connected for the last 5 s, e.g. just restarted or healed), for at most
   * {@link #UNHEALTHY_WAIT_MS}. Safe for non-idempotent calls: that refusal comes before anything is proposed.
   */
  static <T> T whileUnhealthy(Supplier<T> call) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNHEALTHY_WAIT_MS);
    while (true) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        boolean unhealthy = e.getStatus().getCode() == Status.Code.UNAVAILABLE
            && UNHEALTHY.equals(e.getStatus().getDescription());
        if (!unhealthy || System.nanoTime() - deadline >= 0) {
          throw e;
        }
        try {
          Thread.sleep(UNHEALTHY_RETRY_MS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  static void promote(Node via, long id) {
    ClusterGrpc.newBlockingStub(via.channel()).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .memberPromote(MemberPromoteRequest.newBuilder().setID(id).build());
  }

  static String names(List<Node> nodes) {
    List<String> out = new ArrayList<>();
    nodes.forEach(n -> out.add(n.name()));
    return out.toString();
  }

  /** "name(id hex, learner)" for each member. */
  static String describe(List<Member> members) {
    List<String> out = new ArrayList<>();
    for (Member m : members) {
      out.add((m.getName().isEmpty() ? "?" : m.getName()) + "(" + Long.toHexString(m.getID())
          + (m.getIsLearner() ? ", learner" : "") + ")");
    }
    return out.toString();
  }
}
