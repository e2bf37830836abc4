package io.keel.server.peer;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.keel.proto.peer.MembershipRequest;
import io.keel.proto.peer.MembershipResponse;
import io.keel.proto.peer.PeerBatch;
import io.keel.proto.peer.PeerStreamEnd;
import io.keel.proto.peer.RaftPeerGrpc;
import io.keel.proto.peer.SnapshotAck;
import io.keel.proto.peer.SnapshotChunk;
import io.keel.proto.peer.SnapshotMeta;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Member-to-member transport for Raft messages over gRPC/Netty streams. Outbound: one {@link PeerSender} per
 * peer (bounded queue, batching, reconnect with backoff). Inbound: {@link #service()} checks the cluster id and
 * addressee and hands each message to the {@link Inbox}, which must not block (the Raft loop offers it to its
 * own bounded queue). Messages are opaque bytes here: the Raft codec owns their format.
 *
 * <p>Removed members (etcd's rafthttp "410 Gone"): streams from a member this cluster removed are refused with a
 * recognisable answer ({@link RemovedRefusal}) instead of reaching Raft, and the streams it has open are cut with
 * that answer when it is removed; a member that gets that answer from a peer reports it, once, to
 * {@link #onRemovedByPeer}. Every sender keeps a stream open even when idle, so a removed member that has nothing
 * to send (an idle learner, a member restarted after its removal) still hears it.
 */
public final class PeerTransport implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerTransport.class);

  /** Receives one inbound message; returns false if it had to drop it. Must not block. */
  @FunctionalInterface
  public interface Inbox {
    boolean offer(long from, byte[] message);
  }

  private final long clusterId;
  private final long localId;
  private final PeerLimits limits;
  private final Inbox inbox;
  private final LongConsumer onUnreachable;
  private final MeterRegistry registry;
  private final Map<Long, PeerSender> senders = new ConcurrentHashMap<>();
  private final Map<Long, URI> urls = new ConcurrentHashMap<>();
  private final SnapshotLimits snapshotLimits = SnapshotLimits.DEFAULT;
  private final SnapshotSender snapshotSender;
  private volatile SnapshotReceiver snapshotReceiver;
  private volatile java.util.function.Supplier<MembershipResponse> membership;
  private final Counter receivedMessages;
  private final Counter droppedInbound;
  private final Counter rejectedStreams;
  private final Counter refusedRemoved;
  /** Ids of members the cluster removed: immutable, replaced when the membership changes; read per batch. */
  private volatile Set<Long> removedIds = Set.of();
  private volatile LongConsumer onRemovedByPeer = peer -> { };
  private final AtomicBoolean removedReported = new AtomicBoolean();
  /** Open inbound streams by sender: at most a few per peer (the sender cancels a stream before opening another). */
  private final Map<Long, Set<InboundStream>> inbound = new ConcurrentHashMap<>();

  public PeerTransport(long clusterId, long localId, PeerLimits limits, Inbox inbox, LongConsumer onUnreachable,
      MeterRegistry registry) {
    this.clusterId = clusterId;
    this.localId = localId;
    this.limits = limits;
    this.inbox = inbox;
    this.onUnreachable = onUnreachable;
    this.registry = registry;
    this.receivedMessages = Counter.builder("keel.peer.received.messages").register(registry);
    this.droppedInbound = Counter.builder("keel.peer.inbound.dropped").register(registry);
    this.rejectedStreams = Counter.builder("keel.peer.rejected.streams").register(registry);
    this.refusedRemoved = Counter.builder("keel.peer.refused.removed")
        .description("inbound streams refused because their sender was removed from the cluster")
        .register(registry);
    this.snapshotSender = new SnapshotSender(clusterId, localId, snapshotLimits, registry);
  }

  /** Where snapshots streamed to this member go; until set, they are refused. */
  public void receiveSnapshotsInto(SnapshotSink sink) {
    snapshotReceiver = new SnapshotReceiver(clusterId, localId, snapshotLimits, sink,
        from -> removedIds.contains(from), registry);
  }

  /** The members the cluster removed (from applied membership changes and snapshots); their streams are refused. */
  public void removedMembers(Collection<Long> ids) {
    Set<Long> next = Set.copyOf(ids);
    removedIds = next;
    for (long id : next) {
      Set<InboundStream> open = inbound.remove(id);
      if (open != null) {
        LOG.info("closing the streams of {}: it has been removed from the cluster", Long.toHexString(id));
        open.forEach(st -> st.refuseRemoved(id));
      }
    }
  }

  /**
   * Called at most once, on a transport thread, with the peer that answered that this member was removed from
   * the cluster. Must not block.
   */
  public void onRemovedByPeer(LongConsumer listener) {
    this.onRemovedByPeer = listener;
  }

  /** A sender's peer answered "removed": reported to the listener once, never for any other error. */
  private void removedByPeer(long peerId) {
    if (removedReported.compareAndSet(false, true)) {
      LOG.warn("peer {} answered that this member ({}) has been permanently removed from the cluster",
          Long.toHexString(peerId), Long.toHexString(localId));
      onRemovedByPeer.accept(peerId);
    }
  }

  /**
   * Streams the snapshot in {@code dir} to a peer on a stream of its own; the outcome goes to {@code outcome}.
   * False (no outcome) for an unknown peer or while a snapshot send to it is under way.
   */
  public boolean sendSnapshot(long peerId, SnapshotMeta meta, Path dir, byte[] raftMessage,
      SnapshotSender.Outcome outcome) {
    URI url = urls.get(peerId);
    return url != null && snapshotSender.send(peerId, url, meta, dir, raftMessage, outcome);
  }

  /** What the Membership RPC answers (a joining member's first question); until set, it is refused. */
  public void serveMembership(java.util.function.Supplier<MembershipResponse> source) {
    this.membership = source;
  }

  /** The peers' addresses, by id. */
  public Map<Long, URI> peerUrls() {
    return Map.copyOf(urls);
  }

  /** Adds (or replaces) a peer's address. */
  public void addPeer(long peerId, URI url) {
    if (peerId == localId) {
      throw new IllegalArgumentException("a member is not its own peer: " + Long.toHexString(peerId));
    }
    urls.put(peerId, url);
    PeerSender old = senders.put(peerId, new PeerSender(clusterId, localId, peerId, url, limits, onUnreachable,
        this::removedByPeer, registry));
    if (old != null) {
      old.close();
    }
  }

  public void removePeer(long peerId) {
    urls.remove(peerId);
    PeerSender old = senders.remove(peerId);
    if (old != null) {
      old.close();
    }
  }

  /** Since when (System.nanoTime) the peer has been connected without a break; 0 if it is not (or unknown). */
  public long activeSinceNanos(long peerId) {
    PeerSender s = senders.get(peerId);
    return s == null ? 0 : s.activeSinceNanos();
  }

  /** Queues a message for a peer; false if it was dropped (unknown peer or full queue). Never blocks. */
  public boolean send(long peerId, byte[] message) {
    PeerSender s = senders.get(peerId);
    if (s == null) {
      return false;
    }
    return s.send(message);
  }

  /**
   * Sends messages to one peer in order, on the calling thread when its stream is ready (see
   * {@link PeerSender#sendNow}); returns how many were sent or queued (0 for an unknown peer). Never blocks.
   */
  public int sendNow(long peerId, java.util.List<byte[]> messages) {
    PeerSender s = senders.get(peerId);
    if (s == null) {
      return 0;
    }
    return s.sendNow(messages);
  }

  /**
   * The gRPC service to add to this member's peer server. Its handler only checks, decodes and offers to the
   * non-blocking {@link Inbox}, so the server may run it on its transport threads ({@code directExecutor()}),
   * saving a thread hand-off per inbound batch.
   */
  public RaftPeerGrpc.RaftPeerImplBase service() {
    return new RaftPeerGrpc.RaftPeerImplBase() {
      @Override
      public void membership(MembershipRequest req, StreamObserver<MembershipResponse> response) {
        java.util.function.Supplier<MembershipResponse> m = membership;
        if (m == null) {
          response.onError(Status.UNAVAILABLE.withDescription("keel: membership not served yet").asRuntimeException());
          return;
        }
        response.onNext(m.get());
        response.onCompleted();
      }

      @Override
      public StreamObserver<SnapshotChunk> snapshot(StreamObserver<SnapshotAck> response) {
        SnapshotReceiver r = snapshotReceiver;
        if (r == null) {
          response.onError(Status.UNAVAILABLE.withDescription("keel: not accepting snapshots").asRuntimeException());
          return new StreamObserver<>() {
            @Override
            public void onNext(SnapshotChunk c) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          };
        }
        return r.open(response);
      }

      @Override
      public StreamObserver<PeerBatch> stream(StreamObserver<PeerStreamEnd> response) {
        return new InboundStream(response);
      }
    };
  }

  /**
   * One peer's inbound stream. Checks every batch (cluster id, removed sender, addressee) and offers its messages
   * to the inbox. Registered by sender once its first batch passed, so that {@link #removedMembers} can cut the
   * open streams of a member just removed: an idle removed member (a learner that never campaigns) would
   * otherwise keep its stream and never be told. Answers to the peer are serialized on this object (the transport
   * thread and a membership change may both answer).
   */
  private final class InboundStream implements StreamObserver<PeerBatch> {
    private final StreamObserver<PeerStreamEnd> response;
    private long batches;
    private long from = -1; // the registered sender, once a batch passed the checks
    private boolean done;

    InboundStream(StreamObserver<PeerStreamEnd> response) {
      this.response = response;
    }

    @Override
    public void onNext(PeerBatch b) {
      synchronized (this) {
        if (done) {
          return;
        }
        if (b.getClusterId() == clusterId && removedIds.contains(b.getFrom())) {
          LOG.info("refusing a peer stream from {}: it has been removed from the cluster",
              Long.toHexString(b.getFrom()));
          refuseRemoved(b.getFrom());
          return;
        }
        if (b.getClusterId() != clusterId || b.getTo() != localId || (from != -1 && b.getFrom() != from)) {
          rejectedStreams.increment();
          LOG.warn("refusing a peer stream from {}: cluster {} to {}, but this is member {} of cluster {}",
              Long.toHexString(b.getFrom()), Long.toHexString(b.getClusterId()), Long.toHexString(b.getTo()),
              Long.toHexString(localId), Long.toHexString(clusterId));
          end();
          response.onError(Status.FAILED_PRECONDITION
              .withDescription("keel: cluster id or member id mismatch").asRuntimeException());
          return;
        }
        if (from == -1) {
          from = b.getFrom();
          inbound.compute(from, (k, open) -> {
            Set<InboundStream> set = open != null ? open : ConcurrentHashMap.newKeySet();
            set.add(this);
            return set;
          });
          if (removedIds.contains(from)) { // removed while registering: removedMembers may have missed it
            refuseRemoved(from);
            return;
          }
        }
        batches++;
      }
      for (int i = 0; i < b.getMessagesCount(); i++) {
        receivedMessages.increment();
        if (!inbox.offer(b.getFrom(), b.getMessages(i).toByteArray())) {
          droppedInbound.increment();
        }
      }
    }

    /** Answers "you were removed" and ends the stream (no-op if it already ended). */
    synchronized void refuseRemoved(long member) {
      if (!done) {
        end();
        refusedRemoved.increment();
        response.onError(RemovedRefusal.of(member));
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      end(); // the sender went away; it reconnects on its own
    }

    @Override
    public synchronized void onCompleted() {
      if (!done) {
        end();
        response.onNext(PeerStreamEnd.newBuilder().setReceivedBatches(batches).build());
        response.onCompleted();
      }
    }

    /** Marks the stream ended and forgets it; caller holds this object's lock. */
    private void end() {
      done = true;
      if (from != -1) {
        inbound.computeIfPresent(from, (k, open) -> {
          open.remove(this);
          return open.isEmpty() ? null : open;
        });
      }
    }
  }

  public int maxInboundBytes() {
    return limits.maxInboundBytes();
  }

  @Override
  public void close() {
    snapshotSender.close();
    senders.values().forEach(PeerSender::close);
    senders.clear();
  }
}
