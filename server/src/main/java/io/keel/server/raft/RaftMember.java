package io.keel.server.raft;

import io.keel.server.api.EtcdStatus;

import io.keel.kvstore.MvccStore;
import io.keel.proto.internal.InternalRequest;
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
import java.util.Map;
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
   * every 100,000 applied entries keeping 5,000 entries in memory for slow followers).
   */
  public record Settings(long tickMs, int electionTicks, long requestTimeoutMs, int maxPendingProposals,
      int maxPendingReads, int inboxCapacity, long maxSizePerMsgBytes, long maxUncommittedBytes,
      long snapshotCount, long snapshotCatchUpEntries) {
    public static final Settings DEFAULT = new Settings(100, 10, 7000, 20_000, 20_000, 65_536, 1 << 20, 256 << 20,
        100_000, 5_000);
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
    return start(clusterId, memberId, voters, walDir, store, headers, term, settings, registry, false);
  }

  /** As above; {@code unsafeSkipFsync} is the testing fault skip-fsync (WAL records are not fsynced). */
  public static RaftMember start(long clusterId, long memberId, Map<Long, URI> voters, Path walDir,
      MvccStore store, Headers headers, AtomicLong term, Settings settings, MeterRegistry registry,
      boolean unsafeSkipFsync) throws IOException {
    WalMetadata meta = WalMetadata.newBuilder().setClusterId(clusterId).setMemberId(memberId)
        .addAllInitialVoters(voters.keySet().stream().sorted().toList()).build();
    SnapshotStore snaps = new SnapshotStore(walDir.resolveSibling("snap"));
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
        .applied(store.appliedIndex())
        .randomSeed(System.nanoTime() ^ memberId)
        .build();
    RaftNode node = new RaftNode(config, log.storage());
    Proposals proposals = new Proposals(memberId, settings.maxPendingProposals(), settings.requestTimeoutMs());
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
    AlarmStore alarms = new AlarmStore(store);
    Snapshotter snapshotter = new Snapshotter(snaps, store, log, cluster, () -> node.status().confState(),
        settings.snapshotCount(), settings.snapshotCatchUpEntries(), registry);
    Snapshots snapshots = new Snapshots(snaps, snapshotter, store, log, cluster, transport, registry);
    RaftLoop loop = new RaftLoop(node, log, transport, new StateMachine(store, headers, cluster, alarms), proposals,
        reads, snapshots, term, settings.tickMs(), settings.inboxCapacity(), registry);
    loopRef[0] = loop;
    snapshots.connect((peer, failed) -> loop.offer(new RaftLoop.SnapshotStatus(peer, failed)),
        bytes -> loop.offer(new RaftLoop.Step(RaftCodec.decodeMessage(bytes))));
    transport.receiveSnapshotsInto(snaps);
    voters.forEach((id, url) -> {
      if (id != memberId) {
        transport.addPeer(id, url);
      }
    });
    loop.start();
    RaftMember m = new RaftMember(memberId, log, transport, proposals, loop, settings, cluster, snapshots);
    m.alarms = alarms;
    return m;
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
    return f.thenApply(r -> (T) r);
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
    transport.close();
    log.close();
  }
}
