package io.keel.server.cluster;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.internal.ClusterMember;
import io.keel.proto.peer.MembershipRequest;
import io.keel.proto.peer.MembershipResponse;
import io.keel.proto.peer.RaftPeerGrpc;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a member started with {@code --initial-cluster-state existing} and an empty data dir does first (etcd's
 * GetClusterFromRemotePeers + ValidateClusterAndAssignIDs): asks the other members listed in
 * {@code --initial-cluster} for the cluster, then finds itself in it by its peer URLs. It must have been added
 * (member add) before it starts; otherwise start-up fails with a message saying so.
 */
public final class JoinBootstrap {
  private static final Logger LOG = LoggerFactory.getLogger(JoinBootstrap.class);

  /** The cluster id, this member's id, and the group as the answering peer knows it. */
  public record Joined(long clusterId, long memberId, List<ClusterMember> members, List<Long> removedIds) {}

  private JoinBootstrap() {}

  public static Joined join(List<URI> otherPeerUrls, List<URI> ownPeerUrls, long timeoutMs) throws IOException {
    if (otherPeerUrls.isEmpty()) {
      throw new IOException("--initial-cluster-state existing: --initial-cluster names no other member to ask");
    }
    List<String> errors = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    do {
      for (URI url : otherPeerUrls) {
        MembershipResponse r;
        try {
          r = ask(url, Math.max(500, timeoutMs / 4));
        } catch (StatusRuntimeException e) {
          errors.add(url + ": " + e.getStatus());
          continue;
        }
        Set<String> own = new HashSet<>();
        ownPeerUrls.forEach(u -> own.add(u.toString()));
        for (ClusterMember m : r.getMembersList()) {
          if (new HashSet<>(m.getPeerUrlsList()).equals(own)) {
            LOG.info("joining cluster {} as member {} (asked {})", Long.toHexString(r.getClusterId()),
                Long.toHexString(m.getId()), url);
            return new Joined(r.getClusterId(), m.getId(), r.getMembersList(), r.getRemovedIdsList());
          }
        }
        throw new IOException("cluster " + Long.toHexString(r.getClusterId()) + " (asked " + url + ") has no member "
            + "with peer URLs " + own + ": add it first (etcdctl member add), then start it with the "
            + "--initial-cluster that command prints");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while asking peers for the cluster", e);
      }
    } while (System.nanoTime() < deadline);
    throw new IOException("could not retrieve the cluster from any peer in --initial-cluster: " + errors);
  }

  private static MembershipResponse ask(URI url, long timeoutMs) {
    ManagedChannel ch = NettyChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext().build();
    try {
      return RaftPeerGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
          .membership(MembershipRequest.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }
}
