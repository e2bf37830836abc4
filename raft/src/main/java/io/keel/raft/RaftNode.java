package io.keel.raft;

import io.keel.raft.codec.RaftCodec;
import io.keel.raft.confchange.Changer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Public API of one Raft node (etcd's RawNode). A pure, single-threaded state machine: feed it
 * {@link #tick()}, {@link #step(Message)} and requests; drain work with {@link #ready()} and acknowledge it
 * with {@link #advance(Ready)}. Between ready() and advance() no other method may be called. Not thread-safe:
 * one owner thread drives it.
 */
public final class RaftNode {
    private final Raft r;
    private SoftState prevSoft;
    private HardState prevHard;
    private Ready pending; // handed out, awaiting advance
    private final RaftMetrics metrics;

    /** A node reporting metrics to {@link Metrics#globalRegistry}. */
    public RaftNode(Config config, Storage storage) {
        this(config, storage, Metrics.globalRegistry);
    }

    public RaftNode(Config config, Storage storage, MeterRegistry registry) {
        this.r = new Raft(config, storage);
        this.prevSoft = softState();
        this.prevHard = r.hardState();
        this.metrics = new RaftMetrics(registry, this, config.id());
    }

    private SoftState softState() {
        return new SoftState(r.lead, r.state());
    }

    private void checkNotPending() {
        if (pending != null) {
            throw new IllegalStateException("advance() must be called before further input after ready()");
        }
    }

    public long id() {
        return r.id;
    }

    public void tick() {
        checkNotPending();
        r.role.tick(r);
    }

    /** Starts an election now (subject to PreVote). */
    public void campaign() {
        checkNotPending();
        r.step(Message.builder(MessageType.HUP).from(r.id).build());
    }

    /** Proposes data; throws {@link ProposalDroppedException} if it cannot be accepted now. */
    public void propose(byte[] data) {
        checkNotPending();
        proposeEntry(Entry.normal(0, 0, data));
    }

    /**
     * Proposes several entries as one proposal message (etcd's raft accepts a MsgProp with many entries): a
     * leader appends them together and sends each follower one append for all of them; a follower forwards them
     * to the leader as one message. All or none: throws {@link ProposalDroppedException} if they cannot be
     * accepted now.
     */
    public void propose(List<byte[]> data) {
        checkNotPending();
        if (data.isEmpty()) {
            throw new IllegalArgumentException("proposal with no entries");
        }
        List<Entry> ents = new ArrayList<>(data.size());
        for (byte[] d : data) {
            ents.add(Entry.normal(0, 0, d));
        }
        try {
            r.step(Message.builder(MessageType.PROP).from(r.id).entries(ents).build());
            metrics.proposalsAccepted.increment(ents.size());
        } catch (ProposalDroppedException ex) {
            metrics.proposalsDropped.increment(ents.size());
            throw ex;
        }
    }

    /** Proposes a membership change; it takes effect when the application calls applyConfChange on commit. */
    public void proposeConfChange(ConfChange cc) {
        checkNotPending();
        proposeEntry(new Entry(0, 0, EntryType.CONF_CHANGE, RaftCodec.encodeConfChange(cc)));
    }

    private void proposeEntry(Entry e) {
        try {
            r.step(Message.builder(MessageType.PROP).from(r.id).entries(List.of(e)).build());
            metrics.proposalsAccepted.increment();
        } catch (ProposalDroppedException ex) {
            metrics.proposalsDropped.increment();
            throw ex;
        }
    }

    /**
     * Feeds a message received from a peer. Local-only message types are rejected; a forwarded proposal
     * that cannot be accepted is dropped (logged), never thrown back to the network layer.
     */
    public void step(Message m) {
        checkNotPending();
        java.util.Objects.requireNonNull(m, "message");
        if (m.to() != r.id) {
            throw new IllegalArgumentException("message addressed to node " + m.to() + " delivered to node " + r.id);
        }
        if (m.type().isLocal()) {
            throw new IllegalArgumentException("cannot step a local message type from the network: " + m.type());
        }
        if (m.type().isResponse() && r.trk.get(m.from()) == null && r.state() == StateRole.LEADER) {
            return; // response from a peer that is no longer a member
        }
        try {
            r.step(m);
        } catch (ProposalDroppedException e) {
            // A forwarded proposal the leader cannot take; the proposer learns by timeout, as in etcd.
            Raft.LOG.debug("{} dropped forwarded proposal from {}: {}", r.id, m.from(), e.getMessage());
        }
    }

    /** Requests a linearizable read; the answer arrives as a {@link ReadState} with this context. */
    public void readIndex(byte[] requestContext) {
        checkNotPending();
        if (requestContext == null || requestContext.length == 0) {
            throw new IllegalArgumentException("read index request context must be non-empty");
        }
        r.step(Message.builder(MessageType.READ_INDEX).from(r.id)
                .entries(List.of(Entry.normal(0, 0, requestContext))).build());
    }

    /** Asks the leader to hand leadership to {@code transferee} (via TIMEOUT_NOW once it is caught up). */
    public void transferLeadership(long transferee) {
        checkNotPending();
        r.step(Message.builder(MessageType.TRANSFER_LEADER).from(transferee).to(r.id).build());
    }

    public void reportUnreachable(long peer) {
        checkNotPending();
        r.step(Message.builder(MessageType.UNREACHABLE).from(peer).build());
    }

    public void reportSnapshot(long peer, boolean failed) {
        checkNotPending();
        r.step(Message.builder(MessageType.SNAP_STATUS).from(peer).reject(failed).build());
    }

    /**
     * Applies a committed configuration change (call for each committed CONF_CHANGE entry, before advance).
     * Returns the resulting membership, which the application stores with its next snapshot.
     */
    public ConfState applyConfChange(ConfChange cc) {
        Changer ch = new Changer(r.trk.config(), r.trk.progress(), r.raftLog.lastIndex(), r.trk::newInflights);
        Changer.Result res;
        if (cc.isLeaveJoint()) {
            res = ch.leaveJoint();
        } else if (cc.entersJoint()) {
            res = ch.enterJoint(cc.autoLeave(), cc.changes());
        } else {
            res = ch.simple(cc.changes());
        }
        return r.switchToConfig(res);
    }

    public boolean hasReady() {
        if (pending != null) {
            return false;
        }
        return r.lead != prevSoft.leaderId() || r.state() != prevSoft.role() || r.term != prevHard.term()
                || r.vote != prevHard.vote() || r.raftLog.committed != prevHard.commit() || !r.msgs.isEmpty()
                || !r.raftLog.unstable.entries.isEmpty() || r.raftLog.hasPendingSnapshot()
                || r.raftLog.hasNextCommittedEntries() || !r.readStates.isEmpty();
    }

    /** Returns the next batch of work. Call {@link #advance(Ready)} once it is fully processed. */
    public Ready ready() {
        checkNotPending();
        SoftState ss = softState();
        HardState hs = r.hardState();
        List<Entry> committed = r.raftLog.hasPendingSnapshot() ? List.of() : r.raftLog.nextCommittedEntries();
        Snapshot snap = r.raftLog.unstable.snapshot;
        List<Entry> ents = r.raftLog.unstableEntries();
        Ready rd = new Ready(ss.equals(prevSoft) ? null : ss, hs.equals(prevHard) ? null : hs,
                new ArrayList<>(r.readStates), ents, snap, committed, new ArrayList<>(r.msgs),
                !ents.isEmpty() || snap != null || (!hs.equals(prevHard)
                        && (hs.term() != prevHard.term() || hs.vote() != prevHard.vote())));
        r.msgs.clear();
        r.readStates.clear();
        if (!committed.isEmpty()) {
            r.raftLog.applying = committed.get(committed.size() - 1).index();
            r.reduceUncommittedSize(committed);
        }
        if (snap != null) {
            r.raftLog.applying = Math.max(r.raftLog.applying, snap.metadata().index());
        }
        if (ss.role() == StateRole.LEADER && prevSoft.role() != StateRole.LEADER) {
            metrics.leadershipGained.increment();
        }
        prevSoft = ss;
        prevHard = hs;
        pending = rd;
        metrics.readyBatches.increment();
        metrics.entriesPersisted.increment(ents.size());
        metrics.entriesApplied.increment(committed.size());
        metrics.messagesSent.increment(rd.messages().size());
        return rd;
    }

    /** Acknowledges that the given Ready was persisted, sent and applied. */
    public void advance(Ready rd) {
        if (pending == null || rd != pending) {
            throw new IllegalStateException("advance() must be called with the Ready returned by ready()");
        }
        pending = null;
        if (rd.snapshot() != null) {
            long si = rd.snapshot().metadata().index();
            r.raftLog.stableSnapTo(si);
            if (si > r.raftLog.applied) {
                r.raftLog.appliedTo(si);
            }
        }
        if (!rd.committedEntries().isEmpty()) {
            r.raftLog.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).index());
        }
        if (!rd.entries().isEmpty()) {
            Entry last = rd.entries().get(rd.entries().size() - 1);
            r.raftLog.stableTo(last.index(), last.term());
        }
        r.onPersisted(r.persistedIndex());
        maybeAutoLeaveJoint();
    }

    private void maybeAutoLeaveJoint() {
        if (r.state() == StateRole.LEADER && r.trk.config().autoLeave() && r.raftLog.applied >= r.pendingConfIndex
                && r.leadTransferee == Raft.NONE) {
            Entry leave = new Entry(0, 0, EntryType.CONF_CHANGE, RaftCodec.encodeConfChange(ConfChange.leaveJoint()));
            try {
                r.appendEntry(List.of(leave));
                r.pendingConfIndex = r.raftLog.lastIndex();
                r.bcastAppend();
                Raft.LOG.info("{} initiating automatic transition out of joint configuration", r.id);
            } catch (ProposalDroppedException e) {
                Raft.LOG.debug("{} auto-leave postponed: {}", r.id, e.getMessage());
            }
        }
    }

    public Status status() {
        TreeMap<Long, String> prs = new TreeMap<>();
        if (r.state() == StateRole.LEADER) {
            r.trk.visit((id, p) -> prs.put(id, p.toString()));
        }
        return new Status(r.id, r.term, r.vote, r.raftLog.committed, r.raftLog.applied, r.raftLog.lastIndex(),
                r.lead, r.state(), r.trk.config().toConfState(), prs, r.leadTransferee, r.uncommittedSize);
    }

    /** Match index the leader tracks for a peer (or -1); for tests and diagnostics. */
    public long progressMatch(long peer) {
        var p = r.trk.get(peer);
        return p == null ? -1 : p.match;
    }

    public String progressState(long peer) {
        var p = r.trk.get(peer);
        return p == null ? "none" : p.state.name();
    }
}
