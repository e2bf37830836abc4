package io.keel.server.raft;

import io.keel.server.api.EtcdStatus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.internal.InternalRequest;
import io.keel.raft.ConfChange;
import io.keel.raft.Entry;
import io.keel.raft.EntryType;
import io.keel.raft.Message;
import io.keel.raft.MessageType;
import io.keel.raft.ProposalDroppedException;
import io.keel.raft.RaftNode;
import io.keel.raft.ReadState;
import io.keel.raft.Ready;
import io.keel.raft.StateRole;
import io.keel.raft.codec.RaftCodec;
import io.keel.server.peer.PeerTransport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns this member's {@link RaftNode}. Everything else talks to it through a bounded inbox.
 * Each turn: take what arrived (proposals, peer messages, reads), tick on time, then for each Ready: send the
 * leader's appends, persist (one fsync covers every proposal that arrived meanwhile — group commit), send the
 * rest, apply, advance.
 */
final class RaftLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftLoop.class);
  private static final int MAX_EVENTS_PER_TURN = 4096;

  /** Input to the loop. */
  sealed interface Event permits Propose, Step, Read, Transfer, Unreachable, SnapshotStatus, ProposeConf, OnLoop {}


  /**
   * A proposal. {@code leaderTerm} 0: any member may propose it (a follower forwards it to the leader).
   * Otherwise only this member as leader in exactly that term may: never forwarded, never parked — a decision
   * only a leader may take (lease expiry) must not be committed by another leader on a stale member's behalf.
   */
  record Propose(long id, byte[] data, long leaderTerm) implements Event {
    Propose(long id, byte[] data) {
      this(id, data, 0);
    }
  }

  record Step(Message message) implements Event {}

  record Read(CompletableFuture<Void> done) implements Event {}

  record Transfer(long target) implements Event {}

  record Unreachable(long peer) implements Event {}

  record SnapshotStatus(long peer, boolean failed) implements Event {}

  /** A membership change; {@code id} is the proposal the applied entry answers (in the change's context). */
  record ProposeConf(long id, ConfChange change) implements Event {}

  /** Runs on the loop thread with the node (outside ready/advance): reads of Raft's progress, rare. */
  record OnLoop(java.util.function.Consumer<RaftNode> action) implements Event {}

  private final RaftNode node;
  private final DurableLog log;
  private final PeerTransport transport;
  private final StateMachine stateMachine;
  private final Proposals proposals;
  private final ReadBarrier reads;
  private final Snapshots snapshots;
  private final Completions completions;
  private final ConfChangeApplier confChanges;
  private final long tickNanos;
  private final BlockingQueue<Event> inbox;
  private final Thread thread;
  private final Timer readyTimer;
  private final Timer persistTimer;
  private final Timer applyTimer;
  private final DistributionSummary entriesPerFsync;
  private final Counter droppedInbound;

  /** Proposals that arrived while no leader was known; re-proposed when one is (their waiters time out). */
  private final ArrayDeque<Propose> parked = new ArrayDeque<>();
  private final ProposalBatch proposalBatch;
  private long lastClampLogNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(10);
  private final int maxParked;
  private volatile boolean running = true;
  private volatile long leaderId;
  private volatile StateRole role = StateRole.FOLLOWER;
  private final AtomicLong term;
  private volatile long commitIndex;
  private volatile long appliedIndex;

  RaftLoop(RaftNode node, DurableLog log, PeerTransport transport, StateMachine stateMachine, Proposals proposals,
      ReadBarrier reads, Snapshots snapshots, ConfChangeApplier confChanges, AtomicLong term, long tickMs,
      int inboxCapacity, long maxProposalBytes, MeterRegistry registry) {
    this.confChanges = confChanges;
    this.snapshots = snapshots;
    this.term = term;
    this.node = node;
    this.log = log;
    this.transport = transport;
    this.stateMachine = stateMachine;
    this.proposals = proposals;
    this.reads = reads;
    this.completions = new Completions("keel-respond-" + Long.toHexString(node.id()), 2, 1024, registry);
    this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMs);
    this.inbox = new ArrayBlockingQueue<>(inboxCapacity);
    this.maxParked = inboxCapacity;
    this.proposalBatch = new ProposalBatch(maxProposalBytes, registry);
    this.appliedIndex = stateMachine.appliedIndex();
    this.readyTimer = Timer.builder("keel.raft.ready.duration").description("persist + send + apply of one Ready")
        .publishPercentileHistogram().register(registry);
    this.persistTimer = Timer.builder("keel.raft.ready.persist.duration")
        .description("write + fsync of one Ready's entries and hard state").register(registry);
    this.applyTimer = Timer.builder("keel.raft.ready.apply.duration")
        .description("apply of one Ready's committed entries to the store").register(registry);
    this.entriesPerFsync = DistributionSummary.builder("keel.raft.entries.per.fsync").register(registry);
    this.droppedInbound = Counter.builder("keel.raft.inbox.dropped").register(registry);
    Gauge.builder("keel.raft.term", term, AtomicLong::get).register(registry);
    Gauge.builder("keel.raft.commit.index", this, l -> l.commitIndex).register(registry);
    Gauge.builder("keel.raft.applied.index", this, l -> l.appliedIndex).register(registry);
    Gauge.builder("keel.raft.is.leader", this, l -> l.role == StateRole.LEADER ? 1 : 0).register(registry);
    Gauge.builder("keel.raft.inbox.depth", inbox, BlockingQueue::size).register(registry);
    this.thread = new Thread(this::run, "keel-raft-" + Long.toHexString(node.id()));
  }

  void start() {
    thread.start();
  }

  /** Hands an event to the loop; false (counted) when the inbox is full. Never blocks. */
  boolean offer(Event e) {
    if (!running || !inbox.offer(e)) {
      droppedInbound.increment();
      return false;
    }
    return true;
  }

  long leaderId() {
    return leaderId;
  }

  long term() {
    return term.get();
  }

  long commitIndex() {
    return commitIndex;
  }

  long appliedIndex() {
    return appliedIndex;
  }

  boolean isLeader() {
    return role == StateRole.LEADER;
  }

  private void run() {
    List<Event> batch = new ArrayList<>(MAX_EVENTS_PER_TURN);
    long nextTick = System.nanoTime() + tickNanos;
    try {
      while (running) {
        long waitNanos = nextTick - System.nanoTime();
        Event first = waitNanos > 0 ? inbox.poll(waitNanos, TimeUnit.NANOSECONDS) : inbox.poll();
        if (first != null) {
          handle(first);
          inbox.drainTo(batch, MAX_EVENTS_PER_TURN - 1);
          for (Event e : batch) {
            handle(e);
          }
          batch.clear();
          proposalBatch.flush(node, proposals);
        }
        long now = System.nanoTime();
        if (now >= nextTick) {
          node.tick();
          nextTick += tickNanos;
          if (now - nextTick > 10 * tickNanos) {
            nextTick = now + tickNanos; // stalled (GC, paused process): do not replay a burst of ticks
          }
        }
        unparkIfLeaderKnown();
        reads.maybeSend(now, node::readIndex);
        while (node.hasReady()) {
          Ready rd = node.ready();
          long start = System.nanoTime();
          process(rd);
          node.advance(rd);
          readyTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      // A failed fsync or a broken invariant: stop rather than risk acting on state that is not durable.
      LOG.error("raft loop stopped; this member no longer takes part in the cluster", t);
    } finally {
      running = false;
      completions.flush(); // entries applied before a failure are answered truthfully
      proposals.failAll(EtcdStatus.STOPPED.asRuntimeException());
      reads.failAll(EtcdStatus.STOPPED.asRuntimeException());
    }
  }

  private void handle(Event e) {
    if (e instanceof Propose p) {
      propose(p);
      return;
    }
    if (e instanceof Step s && s.message().type() == MessageType.PROP && role == StateRole.LEADER
        && onlyNormalEntries(s.message())) {
      // A follower's forwarded proposals join this turn's batch: one append to each follower for all of them.
      for (Entry en : s.message().entries()) {
        if (proposalBatch.add(ProposalBatch.FORWARDED, en.data())) {
          proposalBatch.flush(node, proposals);
        }
      }
      return;
    }
    if (!(e instanceof Step)) {
      proposalBatch.flush(node, proposals); // a conf change, transfer or read after proposals sees them proposed
    }
    if (e instanceof Step s) {
      node.step(clampHeartbeatCommit(s.message()));
    } else if (e instanceof Read r) {
      if (!reads.add(r.done())) {
        r.done().completeExceptionally(EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
      }
    } else if (e instanceof Transfer t) {
      node.transferLeadership(t.target());
    } else if (e instanceof Unreachable u) {
      node.reportUnreachable(u.peer());
    } else if (e instanceof SnapshotStatus st) {
      node.reportSnapshot(st.peer(), st.failed());
    } else if (e instanceof ProposeConf pc) {
      proposeConf(pc);
    } else if (e instanceof OnLoop o) {
      o.action().accept(node);
    }
  }

  private static boolean onlyNormalEntries(Message m) {
    for (Entry en : m.entries()) {
      if (en.type() != EntryType.NORMAL) {
        return false;
      }
    }
    return !m.entries().isEmpty();
  }

  /** etcd's raft ignores a conf change while another is unapplied (one at a time); Keel's refuses it at once. */
  private void proposeConf(ProposeConf pc) {
    if (leaderId == 0) {
      proposals.fail(pc.id(), EtcdStatus.NO_LEADER.asRuntimeException());
      return;
    }
    try {
      node.proposeConfChange(pc.change());
    } catch (ProposalDroppedException ex) {
      LOG.info("membership change refused: {}", ex.getMessage());
      proposals.fail(pc.id(), EtcdStatus.TIMED_OUT.asRuntimeException());
    }
  }

  /**
   * A leader's heartbeat carries min(match, commit) as it last knew the follower. A member that lost its log
   * tail (or restarted on a new data dir, whose bootstrap entries every member shares) holds fewer entries than
   * that: it may commit only what it holds (a prefix of what it had acknowledged); the leader's next append is
   * refused and it backs off, to a snapshot if need be. Committing less is always safe.
   */
  private Message clampHeartbeatCommit(Message m) {
    if (m.type() == MessageType.HEARTBEAT && m.commit() > log.lastIndex()) {
      long now = System.nanoTime();
      if (now - lastClampLogNanos > TimeUnit.SECONDS.toNanos(5)) {
        lastClampLogNanos = now;
        LOG.warn("heartbeat from {} says commit {} but this member's log ends at {} (lost or new data dir); "
            + "committing only what it holds", Long.toHexString(m.from()), m.commit(), log.lastIndex());
      }
      return m.toBuilder().commit(log.lastIndex()).build();
    }
    return m;
  }

  private void propose(Propose p) {
    if (p.leaderTerm() != 0 && !leadsIn(p.leaderTerm())) {
      proposals.fail(p.id(), EtcdStatus.NOT_LEADER.asRuntimeException());
      return;
    }
    if (leaderId == 0) {
      if (parked.size() < maxParked) {
        parked.add(p);
      } else {
        proposals.fail(p.id(), EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
      }
      return;
    }
    if (p.leaderTerm() != 0) {
      proposalBatch.flush(node, proposals);
      try {
        node.propose(p.data());
      } catch (ProposalDroppedException ex) {
        proposals.fail(p.id(), EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
      }
      return;
    }
    if (proposalBatch.add(p.id(), p.data())) {
      proposalBatch.flush(node, proposals);
    }
  }

  /**
   * Whether the Raft core leads in {@code leaderTerm} right now. Asks the core, not {@link #role}/{@link #term}:
   * those are updated when a Ready is processed, and a message stepped just before (a resumed old leader hearing
   * the new term) may already have made this member a follower, whose propose() would forward to the new leader.
   */
  private boolean leadsIn(long leaderTerm) {
    io.keel.raft.Status st = node.status();
    return st.role() == StateRole.LEADER && st.term() == leaderTerm;
  }

  /** Re-proposes what waited for a leader; called outside ready()/advance(). */
  private void unparkIfLeaderKnown() {
    while (leaderId != 0 && !parked.isEmpty()) {
      Propose p = parked.poll();
      // A parked proposal whose client already got "request timed out" is dropped, not proposed late: its
      // outcome was reported unknown, and applying it long after a partition heals only surprises the client.
      if (proposals.isWaiting(p.id())) {
        propose(p);
      }
    }
    proposalBatch.flush(node, proposals);
  }

  private void process(Ready rd) {
    if (rd.softState() != null) {
      if (rd.softState().leaderId() != leaderId) {
        LOG.info("raft: leader is now {} (this member is {})", Long.toHexString(rd.softState().leaderId()),
            rd.softState().role());
      }
      leaderId = rd.softState().leaderId();
      role = rd.softState().role();
    }
    // A leader's appends and heartbeats may leave before its own write is durable (Raft thesis 10.2.1, as etcd
    // does): the leader counts itself toward a quorum only after advance() reports the write persisted, so its
    // fsync overlaps the followers'. Every other message (votes, acknowledgements) waits for the fsync.
    List<Message> early = new ArrayList<>(rd.messages().size());
    List<Message> afterPersist = new ArrayList<>(rd.messages().size());
    for (Message m : rd.messages()) {
      if (m.type() == MessageType.APP || m.type() == MessageType.HEARTBEAT) {
        early.add(m);
      } else {
        afterPersist.add(m);
      }
    }
    send(early);
    if (rd.snapshot() != null) {
      snapshots.install(rd.snapshot()); // the store, then the log's marker, before any entry after it
      appliedIndex = rd.snapshot().metadata().index();
    }
    long persistStart = System.nanoTime();
    log.persist(rd);
    persistTimer.record(System.nanoTime() - persistStart, TimeUnit.NANOSECONDS);
    if (!rd.entries().isEmpty()) {
      entriesPerFsync.record(rd.entries().size());
    }
    if (rd.hardState() != null) {
      term.set(rd.hardState().term());
      commitIndex = rd.hardState().commit();
    }
    List<Message> regular = new ArrayList<>(afterPersist.size());
    for (Message m : afterPersist) {
      if (m.type() == MessageType.SNAP) {
        snapshots.send(m); // its own stream, chunked
      } else {
        regular.add(m);
      }
    }
    send(regular);
    List<CompletableFuture<Void>> released = new ArrayList<>();
    for (ReadState rs : rd.readStates()) {
      reads.onReadState(rs.requestContext(), rs.index(), appliedIndex, released);
    }
    if (!rd.committedEntries().isEmpty()) {
      long applyStart = System.nanoTime();
      // Group apply: the Ready's key-space writes go to RocksDB as one batch, written (and published to readers
      // and watchers) before appliedIndex moves and before any of their clients is answered (completions.flush).
      stateMachine.beginGroup();
      boolean applied = false;
      long last = appliedIndex;
      try {
        for (Entry e : rd.committedEntries()) {
          apply(e);
          last = Math.max(last, e.index()); // a restart re-applies membership entries from the snapshot on
        }
        applied = true;
      } finally {
        if (applied) {
          stateMachine.commitGroup();
        } else {
          stateMachine.abandonGroup();
        }
      }
      appliedIndex = last;
      applyTimer.record(System.nanoTime() - applyStart, TimeUnit.NANOSECONDS);
    }
    reads.onApplied(appliedIndex, released);
    snapshots.maybeSnapshot(appliedIndex);
    for (CompletableFuture<Void> r : released) {
      completions.add(() -> r.complete(null));
    }
    completions.flush();
  }

  /** Sends each peer its messages in order, as one batch written on this thread when its stream is ready. */
  private void send(List<Message> messages) {
    if (messages.isEmpty()) {
      return;
    }
    Map<Long, List<byte[]>> byPeer = new LinkedHashMap<>();
    for (Message m : messages) {
      byPeer.computeIfAbsent(m.to(), k -> new ArrayList<>()).add(RaftCodec.encodeMessage(m));
    }
    byPeer.forEach(transport::sendNow);
  }

  private void apply(Entry e) {
    if (e.type() == EntryType.CONF_CHANGE) {
      confChanges.apply(e, node, completions::add); // always: Raft's membership is rebuilt from the log
      return;
    }
    if (e.index() <= stateMachine.appliedIndex()) {
      return; // already in the store (replayed after a restart)
    }
    if (e.dataLength() == 0) {
      return; // a new leader's empty entry
    }
    InternalRequest req;
    try {
      req = InternalRequest.parseFrom(e.data());
    } catch (InvalidProtocolBufferException ex) {
      throw new IllegalStateException("undecodable request in the raft log at index " + e.index(), ex);
    }
    Object result = stateMachine.apply(e.index(), req);
    CompletableFuture<Object> waiter = proposals.take(req.getId());
    if (waiter == null) {
      return; // proposed by another member, or its client gave up (timed out)
    }
    if (result instanceof RuntimeException err) {
      completions.add(() -> waiter.completeExceptionally(err));
    } else {
      completions.add(() -> waiter.complete(result));
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    completions.close();
  }
}
