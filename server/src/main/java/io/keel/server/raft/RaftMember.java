package io.keel.server.raft;

import io.keel.server.api.EtcdStatus;

import io.keel.kvstore.MvccStore;
import io.keel.proto.internal.ClusterMember;
import io.keel.proto.internal.InternalRequest;
import io.keel.proto.internal.MemberChange;
import io.keel.proto.peer.MembershipResponse;
import io.keel.raft.ConfChange;
import io.keel.raft.ConfChangeType;
import io.keel.proto.internal.MemberAttributes;
import io.keel.proto.internal.WalMetadata;
import io.keel.proto.peer.RaftPeerGrpc;
import io.keel.raft.Config;
import io.keel.raft.Message;
import io.keel.raft.RaftNode;
import io.keel.raft.codec.RaftCodec;
import io.keel.server.api.Headers;
import io.keel.server.maintenance.AlarmStore;
import io.keel.server.peer.PeerLimits;
import io.keel.server.peer.PeerTransport;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's part in the Raft group: the durable log, the Raft loop, the peer transport and the apply of
 * committed requests to the MVCC store. Clients' writes become proposals; linearizable reads wait on ReadIndex.
 */
public final class RaftMember implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftMember.class);

  /**
   * Timing and bounds of one member, with etcd's defaults (100 ms heartbeat, 1 s election timeout, a snapshot
   * every 100,000 applied entries) except that 50,000 entries (at most 64 MiB of them) stay in memory after a
   * snapshot for slow followers, not etcd 3.4's 5,000: at 8,000 writes/s, 5,000 entries are 0.6 s, and a follower
   * that lagged that long under CPU load needed a 100 MB snapshot (its clients waited ~20 s for it).
   */
  public record Settings(long tickMs, int electionTicks, long requestTimeoutMs, int maxPendingProposals,
      int maxPendingReads, int inboxCapacity, long maxSizePerMsgBytes, long maxUncommittedBytes,
      long snapshotCount, long snapshotCatchUpEntries) {
    public static final Settings DEFAULT = new Settings(100, 10, 7000, 20_000, 20_000, 65_536, 1 << 20, 256 << 20,
        100_000, 50_000);
  }

  private final long memberId;
  private final DurableLog log;
  private final PeerTransport transport;
  private final Proposals proposals;
  private final RaftLoop loop;
  private final Settings settings;
  private final ClusterState cluster;
  private final Snapshots snapshots;
  private volatile boolean closed;
  private AlarmStore alarms; // set once by start(), before the member is published
  private ConfChangeApplier confChanges; // set once by start()
  private java.util.concurrent.atomic.AtomicBoolean learnerFlag; // set once by start()

  private RaftMember(long memberId, DurableLog log, PeerTransport transport, Proposals proposals, RaftLoop loop,
      Settings settings, ClusterState cluster, Snapshots snapshots) {
    this.cluster = cluster;
    this.snapshots = snapshots;
    this.memberId = memberId;
    this.log = log;
    this.transport = transport;
    this.proposals = proposals;
    this.loop = loop;
    this.settings = settings;
  }

  /**
   * Opens the log in {@code walDir}, joins the group of {@code voters} (id → peer URL, this member included) and
   * starts the loop. {@code term} is shared with the response headers.
   */
  public static RaftMember start(long clusterId, long memberId, Map<Long, URI> voters, Path walDir,
      MvccStore store, Headers headers, AtomicLong term, Settings settings, MeterRegistry registry)
      throws IOException {
    List<ClusterMember> seed = voters.entrySet().stream().map(e -> ClusterMember.newBuilder().setId(e.getKey())
        .addPeerUrls(e.getValue().toString()).build()).toList();
    return start(clusterId, memberId, voters.keySet(), seed, Set.of(), walDir, store, headers, term, settings,
        registry, false);
  }

  /**
   * As above, with the group spelled out: {@code voters} are a new cluster's initial voters (empty for a member
   * joining an existing cluster, whose log starts empty and is filled by the leader), {@code seed} and
   * {@code removed} the membership to assume until the log or a snapshot says otherwise;
   * {@code unsafeSkipFsync} is the testing fault skip-fsync (WAL records are not fsynced).
   */
  public static RaftMember start(long clusterId, long memberId, Collection<Long> voters, List<ClusterMember> seed,
      Collection<Long> removed, Path walDir, MvccStore store, Headers headers, AtomicLong term, Settings settings,
      MeterRegistry registry, boolean unsafeSkipFsync) throws IOException {
    WalMetadata meta = WalMetadata.newBuilder().setClusterId(clusterId).setMemberId(memberId)
        .addAllInitialVoters(voters.stream().sorted().toList()).build();
    SnapshotStore snaps = new SnapshotStore(walDir.resolveSibling("snap"), registry);
    DurableLog log = DurableLog.open(walDir, meta, marker -> snaps.forStart(marker, store.appliedIndex()),
        registry, unsafeSkipFsync);
    log.raiseCommitTo(store.appliedIndex());
    Config config = Config.builder(memberId)
        .electionTick(settings.electionTicks())
        .heartbeatTick(1)
        .preVote(true)
        .checkQuorum(true)
        .maxSizePerMsgBytes(settings.maxSizePerMsgBytes())
        .maxInflightMsgs(256)
        .maxInflightBytes(Math.max(settings.maxSizePerMsgBytes(), 32L << 20))
        .maxUncommittedEntriesBytes(settings.maxUncommittedBytes())
        // From the snapshot, not the store: every later membership entry is applied to Raft again (the store
        // skips what it holds), so Raft's configuration after a restart is the log's.
        .applied(log.snapshotIndex())
        .randomSeed(System.nanoTime() ^ memberId)
        .build();
    RaftNode node = new RaftNode(config, log.storage());
    Proposals proposals = new Proposals(memberId, settings.maxPendingProposals(), settings.requestTimeoutMs());
    io.micrometer.core.instrument.FunctionCounter.builder("keel.proposals.timed.out", proposals, Proposals::timedOut)
        .description("writes not applied within the request timeout (\"etcdserver: request timed out\")")
        .register(registry);
    ReadBarrier reads = new ReadBarrier(settings.tickMs() * 5, settings.maxPendingReads());
    RaftLoop[] loopRef = new RaftLoop[1];
    PeerTransport transport = new PeerTransport(clusterId, memberId, PeerLimits.DEFAULT,
        (from, bytes) -> {
          Message m;
          try {
            m = RaftCodec.decodeMessage(bytes);
          } catch (RuntimeException e) {
            LOG.warn("dropping an undecodable raft message from {}: {}", Long.toHexString(from), e.getMessage());
            return false;
          }
          return loopRef[0].offer(new RaftLoop.Step(m));
        },
        peer -> loopRef[0].offer(new RaftLoop.Unreachable(peer)), registry);
    ClusterState cluster = new ClusterState(walDir.resolveSibling("cluster.state"));
    cluster.seedIfEmpty(seed, removed);
    ConfChangeApplier confChanges = new ConfChangeApplier(memberId, cluster, proposals);
    AlarmStore alarms = new AlarmStore(store);
    Snapshotter snapshotter = new Snapshotter(snaps, store, log, cluster, () -> node.status().confState(),
        settings.snapshotCount(), settings.snapshotCatchUpEntries(), registry);
    Snapshots snapshots = new Snapshots(snaps, snapshotter, store, log, cluster, transport, registry);
    confChanges.afterAdd(snapshotter::request);
    RaftLoop loop = new RaftLoop(node, log, transport, new StateMachine(store, headers, cluster, alarms), proposals,
        reads, snapshots, confChanges, term, settings.tickMs(), settings.inboxCapacity(), settings.maxSizePerMsgBytes(),
        registry);
    loopRef[0] = loop;
    snapshots.connect((peer, failed) -> loop.offer(new RaftLoop.SnapshotStatus(peer, failed)),
        bytes -> loop.offer(new RaftLoop.Step(RaftCodec.decodeMessage(bytes))));
    transport.receiveSnapshotsInto(snaps);
    transport.removedMembers(cluster.removedIds());
    transport.onRemovedByPeer(confChanges::removedByPeer); // etcd's 410 Gone: as if it applied its own removal
    syncPeers(transport, memberId, cluster.group());
    java.util.concurrent.atomic.AtomicBoolean learner = new java.util.concurrent.atomic.AtomicBoolean(
        isLearnerIn(cluster.group(), memberId));
    cluster.onGroupChange(g -> {
      syncPeers(transport, memberId, g);
      transport.removedMembers(cluster.removedIds());
      learner.set(isLearnerIn(g, memberId));
    });
    transport.serveMembership(() -> MembershipResponse.newBuilder().setClusterId(clusterId)
        .addAllMembers(cluster.group().values()).addAllRemovedIds(cluster.removedIds()).build());
    loop.start();
    RaftMember m = new RaftMember(memberId, log, transport, proposals, loop, settings, cluster, snapshots);
    m.alarms = alarms;
    m.confChanges = confChanges;
    m.learnerFlag = learner;
    return m;
  }

  private static boolean isLearnerIn(Map<Long, ClusterMember> group, long id) {
    ClusterMember self = group.get(id);
    return self != null && self.getIsLearner();
  }

  /** Makes the transport's peers the group's (minus this member), each at its first peer URL. */
  private static void syncPeers(PeerTransport transport, long self, Map<Long, ClusterMember> group) {
    Map<Long, URI> have = transport.peerUrls();
    for (ClusterMember m : group.values()) {
      if (m.getId() == self || m.getPeerUrlsCount() == 0) {
        continue;
      }
      URI url = URI.create(m.getPeerUrls(0));
      if (!url.equals(have.get(m.getId()))) {
        LOG.info("peer {} at {}", Long.toHexString(m.getId()), url);
        transport.addPeer(m.getId(), url);
      }
    }
    for (long id : have.keySet()) {
      if (!group.containsKey(id)) {
        LOG.info("peer {} removed", Long.toHexString(id));
        transport.removePeer(id);
      }
    }
  }

  /**
   * Proposes a membership change (add voter/learner, promote, remove); completes once this member applied it,
   * or with etcd's error if it no longer fits the configuration when applied.
   */
  public CompletableFuture<Object> changeMembership(ConfChangeType type, ClusterMember member, boolean promote) {
    long id = proposals.nextId();
    CompletableFuture<Object> f = proposals.register(id);
    if (f == null) {
      return CompletableFuture.failedFuture(EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
    }
    byte[] ctx = MemberChange.newBuilder().setRequestId(id).setMember(member).setPromote(promote).build()
        .toByteArray();
    ConfChange cc = new ConfChange(io.keel.raft.ConfChangeTransition.AUTO,
        List.of(new io.keel.raft.ConfChangeSingle(type, member.getId())), ctx);
    if (!loop.offer(new RaftLoop.ProposeConf(id, cc))) {
      proposals.fail(id, EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
    }
    return f;
  }

  /**
   * On the leader, {@code [member's match, leader's match]} from Raft's progress (etcd's isLearnerReady input);
   * fails with "not leader" elsewhere. A member Raft does not track has match -1.
   */
  public CompletableFuture<long[]> progressMatch(long member) {
    CompletableFuture<long[]> f = new CompletableFuture<>();
    f.orTimeout(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
    boolean offered = loop.offer(new RaftLoop.OnLoop(node -> {
      if (!loop.isLeader()) {
        f.completeExceptionally(EtcdStatus.NOT_LEADER.asRuntimeException());
      } else {
        f.complete(new long[] {node.progressMatch(member), node.progressMatch(memberId)});
      }
    }));
    if (!offered) {
      f.completeExceptionally(EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
    }
    return f;
  }

  /** Whether this member is a learner (does not vote; serves serializable reads only). */
  public boolean isLearner() {
    return learnerFlag.get(); // on every client call: kept up to date by the group listener, not recomputed
  }

  /**
   * Runs once when this member learns it was removed: it applied its own removal (on the Raft thread), or a peer
   * answered that the cluster removed it (on a transport thread). Must not block: hand off anything slow.
   */
  public void onRemoved(Runnable r) {
    confChanges.onSelfRemoved(r);
  }

  /** The cluster and member id recorded at the head of the WAL in {@code walDir}, or null if there is none. */
  public static long[] recordedIds(Path walDir) throws IOException {
    WalMetadata m = DurableLog.existingMetadata(walDir);
    return m == null ? null : new long[] {m.getClusterId(), m.getMemberId()};
  }

  /** The service peers stream Raft messages to. */
  public RaftPeerGrpc.RaftPeerImplBase peerService() {
    return transport.service();
  }

  public int maxPeerInboundBytes() {
    return transport.maxInboundBytes();
  }

  /**
   * Proposes a write; completes with the response once this member has applied it. While no leader is known the
   * proposal waits for one, up to the request timeout ("etcdserver: request timed out"), as etcd's do.
   */
  public <T> CompletableFuture<T> write(InternalRequest.Builder request) {
    return propose(request, 0);
  }

  /**
   * Proposes a write only if this member still leads in {@code leaderTerm} when the Raft loop takes it; fails
   * with "etcdserver: not leader" otherwise (never forwarded to another leader). For decisions only the leader
   * of that term may take, such as revoking an expired lease (etcd #15247: a paused old leader must not revoke
   * leases the new leader kept alive).
   */
  public <T> CompletableFuture<T> writeAsLeader(InternalRequest.Builder request, long leaderTerm) {
    if (leaderTerm <= 0) {
      throw new IllegalArgumentException("leaderTerm must be positive: " + leaderTerm);
    }
    return propose(request, leaderTerm);
  }

  @SuppressWarnings("unchecked")
  private <T> CompletableFuture<T> propose(InternalRequest.Builder request, long leaderTerm) {
    long id = proposals.nextId();
    CompletableFuture<Object> f = proposals.register(id);
    if (f == null) {
      return CompletableFuture.failedFuture(EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
    }
    if (!loop.offer(new RaftLoop.Propose(id, request.setId(id).build().toByteArray(), leaderTerm))) {
      proposals.fail(id, EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
    }
    return (CompletableFuture<T>) (CompletableFuture<?>) f; // completed with the T the request's apply returns
  }

  /** Completes once a read here would be linearizable (ReadIndex confirmed by a quorum, applied up to it). */
  public CompletableFuture<Void> linearizableBarrier() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    f.orTimeout(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
    if (!loop.offer(new RaftLoop.Read(f))) {
      f.completeExceptionally(EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
    }
    return f;
  }

  /**
   * Hands leadership to {@code target} (etcd's MoveLeader): only the leader may, and it waits until the target
   * leads or the request times out.
   */
  public CompletableFuture<Void> moveLeader(long target, Iterable<Long> members) {
    if (!loop.isLeader()) {
      return CompletableFuture.failedFuture(EtcdStatus.NOT_LEADER.asRuntimeException());
    }
    boolean known = false;
    for (long m : members) {
      known |= m == target;
    }
    if (!known) {
      return CompletableFuture.failedFuture(EtcdStatus.BAD_TRANSFEREE.asRuntimeException());
    }
    if (target == memberId) {
      return CompletableFuture.completedFuture(null);
    }
    loop.offer(new RaftLoop.Transfer(target));
    CompletableFuture<Void> done = new CompletableFuture<>();
    awaitLeader(target, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.requestTimeoutMs()), done);
    return done;
  }

  /** Checks once per tick, without holding a thread, until {@code target} leads or the deadline passes. */
  private void awaitLeader(long target, long deadlineNanos, CompletableFuture<Void> done) {
    if (loop.leaderId() == target) {
      done.complete(null);
    } else if (closed || System.nanoTime() > deadlineNanos) {
      done.completeExceptionally(EtcdStatus.TIMED_OUT.asRuntimeException());
    } else {
      CompletableFuture.delayedExecutor(settings.tickMs(), TimeUnit.MILLISECONDS)
          .execute(() -> awaitLeader(target, deadlineNanos, done));
    }
  }

  /**
   * Announces this member's name and client URLs through Raft, retrying until applied (etcd's publish); then,
   * on the leader, records the cluster version if none is set. Blocks; call from a start-up thread.
   */
  public void publish(MemberAttributes attrs, String clusterVersion) throws InterruptedException {
    while (!closed) {
      try {
        write(InternalRequest.newBuilder().setMemberAttributes(attrs.toBuilder().setMemberId(memberId))).get();
        break;
      } catch (ExecutionException e) {
        LOG.info("publishing member attributes failed ({}); retrying", e.getCause().getMessage());
        Thread.sleep(settings.tickMs());
      }
    }
    while (!closed && cluster.clusterVersion().isEmpty() && loop.isLeader()) {
      try {
        write(InternalRequest.newBuilder().setClusterVersion(clusterVersion)).get();
      } catch (ExecutionException e) {
        LOG.info("setting the cluster version failed ({}); retrying", e.getCause().getMessage());
        Thread.sleep(settings.tickMs());
      }
    }
  }

  /** The cluster's active alarms (NOSPACE, CORRUPT), as applied here. */
  public AlarmStore alarms() {
    return alarms;
  }

  /** Since when (System.nanoTime) this member has been connected to a peer without a break; 0 if it is not. */
  public long peerActiveSinceNanos(long peerId) {
    return transport.activeSinceNanos(peerId);
  }

  public ClusterState cluster() {
    return cluster;
  }

  public long memberId() {
    return memberId;
  }

  public long leaderId() {
    return loop.leaderId();
  }

  public long term() {
    return loop.term();
  }

  public long commitIndex() {
    return loop.commitIndex();
  }

  public long appliedIndex() {
    return loop.appliedIndex();
  }

  /** Snapshots from the leader this member installed since it started. */
  public long snapshotsInstalled() {
    return snapshots.installed();
  }

  @Override
  public void close() {
    closed = true;
    loop.close();
    proposals.close();
    transport.close();
    log.close();
  }
}
