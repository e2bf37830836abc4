package io.keel.server.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.keel.proto.internal.ClusterMember;
import io.keel.proto.internal.MemberChange;
import io.keel.raft.ConfChange;
import io.keel.raft.ConfChangeSingle;
import io.keel.raft.ConfState;
import io.keel.raft.Entry;
import io.keel.raft.RaftNode;
import io.keel.raft.codec.RaftCodec;
import io.keel.server.cluster.MemberErrors;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies committed membership (CONF_CHANGE) entries, in log order, on the Raft thread: to Raft's own
 * configuration, to the {@link ClusterState} (which tells the peer transport), then answers the proposer.
 * Every entry is applied to Raft again after a restart (the configuration is rebuilt from the snapshot plus
 * the log, as etcd does), so the decision to apply one may depend only on Raft's configuration at that point
 * of the log, never on state that a restart sees later: a change that no longer fits it (adding a member that
 * is already one, removing or promoting one that is not) is skipped the same way on every member.
 */
final class ConfChangeApplier {
  private static final Logger LOG = LoggerFactory.getLogger(ConfChangeApplier.class);

  private final long selfId;
  private final ClusterState cluster;
  private final Proposals proposals;
  private Runnable onSelfRemoved = () -> {};
  private boolean selfRemoved;
  private Runnable afterAdd = () -> {};

  ConfChangeApplier(long selfId, ClusterState cluster, Proposals proposals) {
    this.selfId = selfId;
    this.cluster = cluster;
    this.proposals = proposals;
  }

  /**
   * Runs on the Raft thread after a new member is added (not on replay): the next snapshot must include it, since
   * Raft ignores a snapshot whose configuration lacks the receiver (etcd merges a fresh snapshot when sending).
   */
  void afterAdd(Runnable r) {
    this.afterAdd = r;
  }

  /**
   * Runs once when this member learns its removal: on the Raft thread when it applies it, or on a transport thread
   * when a peer answers that it was removed ({@link #removedByPeer}), whichever comes first.
   */
  synchronized void onSelfRemoved(Runnable r) {
    this.onSelfRemoved = r;
    if (selfRemoved) {
      r.run(); // applied (replayed) before the hook was set
    }
  }

  private synchronized void selfRemoved() {
    if (!selfRemoved) {
      selfRemoved = true;
      onSelfRemoved.run();
    }
  }

  /**
   * A peer answered that the cluster removed this member (etcd's rafthttp 410 Gone): the removal is committed but
   * this member may never receive it (the leader stopped replicating to it), so it is treated as applied.
   */
  void removedByPeer(long peerId) {
    LOG.warn("{} (as peer {} answered)", MemberErrors.REMOVED_MESSAGE, Long.toHexString(peerId));
    selfRemoved();
  }

  void apply(Entry e, RaftNode node, Consumer<Runnable> respond) {
    ConfChange cc = RaftCodec.decodeConfChange(e.data());
    MemberChange ctx = context(cc, e.index());
    if (cc.changes().size() != 1) {
      node.applyConfChange(cc); // not proposed by Keel's Cluster service (joint changes); Raft alone
      return;
    }
    ConfChangeSingle one = cc.changes().get(0);
    ClusterMember m = ctx.hasMember() ? ctx.getMember() : ClusterMember.newBuilder().setId(one.nodeId()).build();
    if (m.getId() != one.nodeId()) {
      throw new IllegalStateException("membership entry " + e.index() + " names member " + Long.toHexString(
          one.nodeId()) + " but its context " + Long.toHexString(m.getId()));
    }
    Status rejected = check(node.status().confState(), one, ctx.getPromote());
    CompletableFuture<Object> waiter = ctx.getRequestId() == 0 ? null : proposals.take(ctx.getRequestId());
    if (rejected != null) {
      LOG.info("membership entry {} ({} {}) skipped: {}", e.index(), one.type(), Long.toHexString(one.nodeId()),
          rejected.getDescription());
      if (waiter != null) {
        respond.accept(() -> waiter.completeExceptionally(rejected.asRuntimeException()));
      }
      return;
    }
    boolean fresh = e.index() > cluster.confIndex();
    ConfState after = node.applyConfChange(cc);
    cluster.applyConfChange(e.index(), one.type(), m, ctx.getPromote());
    LOG.info("membership entry {} applied: {} {}; voters {} learners {}", e.index(), one.type(),
        Long.toHexString(one.nodeId()), hex(after.voters()), hex(after.learners()));
    if (waiter != null) {
      respond.accept(() -> waiter.complete(Boolean.TRUE));
    }
    if (fresh && ctx.hasMember() && !ctx.getPromote() && one.type() != io.keel.raft.ConfChangeType.REMOVE_NODE) {
      afterAdd.run();
    }
    if (one.type() == io.keel.raft.ConfChangeType.REMOVE_NODE && one.nodeId() == selfId) {
      LOG.warn("{} (entry {})", MemberErrors.REMOVED_MESSAGE, e.index());
      selfRemoved();
    }
  }

  /** Whether a single change fits Raft's configuration here; null if it does. Deterministic across members. */
  static Status check(ConfState cs, ConfChangeSingle one, boolean promote) {
    boolean voter = cs.voters().contains(one.nodeId());
    boolean learner = cs.learners().contains(one.nodeId());
    return switch (one.type()) {
      case ADD_NODE -> promote ? (learner ? null : voter ? MemberErrors.NOT_LEARNER : MemberErrors.NOT_FOUND)
          // an add of a voter that already votes is a bootstrap entry replayed: harmless, applied
          : (learner ? MemberErrors.MEMBER_EXIST : null);
      case ADD_LEARNER_NODE -> voter || learner ? MemberErrors.MEMBER_EXIST : null;
      case REMOVE_NODE -> voter || learner ? (voter && cs.voters().size() == 1 ? MemberErrors.NOT_ENOUGH_STARTED
          : null) : MemberErrors.NOT_FOUND;
    };
  }

  private static MemberChange context(ConfChange cc, long index) {
    byte[] b = cc.context();
    if (b.length == 0) {
      return MemberChange.getDefaultInstance(); // a bootstrap entry: the member's URLs come from --initial-cluster
    }
    try {
      return MemberChange.parseFrom(b);
    } catch (InvalidProtocolBufferException ex) {
      throw new IllegalStateException("undecodable membership context in the raft log at index " + index, ex);
    }
  }

  private static String hex(java.util.List<Long> ids) {
    return ids.stream().map(Long::toHexString).toList().toString();
  }
}
