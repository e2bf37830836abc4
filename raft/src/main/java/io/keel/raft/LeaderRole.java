package io.keel.raft;

import io.keel.raft.codec.RaftCodec;
import io.keel.raft.quorum.VoteResult;
import io.keel.raft.tracker.Progress;
import io.keel.raft.tracker.ProgressState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Leader: replicates, commits, heartbeats, serves ReadIndex, runs CheckQuorum and leadership transfer. */
final class LeaderRole implements Role {
    static final LeaderRole INSTANCE = new LeaderRole();

    @Override
    public StateRole state() {
        return StateRole.LEADER;
    }

    @Override
    public void tick(Raft r) {
        r.heartbeatElapsed++;
        r.electionElapsed++;
        if (r.electionElapsed >= r.electionTimeout) {
            r.electionElapsed = 0;
            if (r.checkQuorum) {
                r.step(Message.builder(MessageType.CHECK_QUORUM).from(r.id).build());
            }
            if (r.role == this && r.leadTransferee != Raft.NONE) {
                r.abortLeaderTransfer(); // the transfer did not finish within an election timeout
            }
        }
        if (r.role != this) {
            return;
        }
        if (r.heartbeatElapsed >= r.heartbeatTimeout) {
            r.heartbeatElapsed = 0;
            r.step(Message.builder(MessageType.BEAT).from(r.id).build());
        }
    }

    @Override
    public void step(Raft r, Message m) {
        switch (m.type()) {
            case BEAT -> {
                r.bcastHeartbeat();
                return;
            }
            case CHECK_QUORUM -> {
                Progress self = r.trk.get(r.id);
                if (self != null) {
                    self.recentActive = true;
                }
                if (!r.trk.quorumActive()) {
                    Raft.LOG.info("{} stepped down to follower since quorum is not active", r.id);
                    r.becomeFollower(r.term, Raft.NONE);
                }
                r.trk.visit((id, p) -> {
                    if (id != r.id) {
                        p.recentActive = false;
                    }
                });
                return;
            }
            case PROP -> {
                handlePropose(r, m);
                return;
            }
            case READ_INDEX -> {
                handleReadIndex(r, m);
                return;
            }
            default -> {
            }
        }
        Progress pr = r.trk.get(m.from());
        if (pr == null) {
            return; // not (or no longer) a member
        }
        switch (m.type()) {
            case APP_RESP -> handleAppendResponse(r, m, pr);
            case HEARTBEAT_RESP -> handleHeartbeatResponse(r, m, pr);
            case SNAP_STATUS -> {
                if (pr.state != ProgressState.SNAPSHOT) {
                    return;
                }
                if (m.reject()) {
                    pr.pendingSnapshot = 0;
                }
                pr.becomeProbe();
                pr.msgAppFlowPaused = true; // wait for a heartbeat response before probing again
            }
            case UNREACHABLE -> {
                if (pr.state == ProgressState.REPLICATE) {
                    pr.becomeProbe();
                }
            }
            case TRANSFER_LEADER -> handleTransfer(r, m, pr);
            default -> {
            }
        }
    }

    private static void handlePropose(Raft r, Message m) {
        if (m.entries().isEmpty()) {
            throw new IllegalArgumentException("proposal with no entries");
        }
        if (r.trk.get(r.id) == null) {
            throw new ProposalDroppedException("leader " + r.id + " was removed from the configuration");
        }
        if (r.leadTransferee != Raft.NONE) {
            throw new ProposalDroppedException("leadership transfer to " + r.leadTransferee + " in progress");
        }
        List<Entry> ents = m.entries();
        for (int i = 0; i < ents.size(); i++) {
            Entry e = ents.get(i);
            if (e.type() != EntryType.CONF_CHANGE) {
                continue;
            }
            ConfChange cc = RaftCodec.decodeConfChange(e.dataUnsafe());
            boolean alreadyPending = r.pendingConfIndex > r.raftLog.applied;
            boolean alreadyJoint = r.trk.config().voters().isJoint();
            boolean wantsLeave = cc.isLeaveJoint();
            if (alreadyPending) {
                throw new ProposalDroppedException("possible unapplied conf change at index " + r.pendingConfIndex
                        + " (applied " + r.raftLog.applied + ")");
            }
            if (alreadyJoint && !wantsLeave) {
                throw new ProposalDroppedException("must leave the joint configuration first");
            }
            if (!alreadyJoint && wantsLeave) {
                throw new ProposalDroppedException("not in a joint configuration, nothing to leave");
            }
            r.pendingConfIndex = r.raftLog.lastIndex() + i + 1;
        }
        r.appendEntry(ents);
        r.bcastAppend();
    }

    private static void handleReadIndex(Raft r, Message m) {
        if (r.trk.isSingleton()) {
            Message resp = r.responseToReadIndexReq(m, r.raftLog.committed);
            if (resp != null) {
                r.send(resp);
            }
            return;
        }
        if (!r.committedEntryInCurrentTerm()) {
            // The leader does not know the commit index yet; answer once its no-op commits.
            if (r.pendingReadIndexMessages.size() >= r.maxPendingReads) {
                Raft.LOG.warn("{} dropping read index request: {} already pending", r.id, r.maxPendingReads);
                return;
            }
            r.pendingReadIndexMessages.add(m);
            return;
        }
        r.sendMsgReadIndexResponse(m);
    }

    private static void handleAppendResponse(Raft r, Message m, Progress pr) {
        pr.recentActive = true;
        if (m.reject()) {
            long nextProbeIdx = m.rejectHint();
            if (m.logTerm() > 0) {
                // fast back-off: skip all entries of terms the follower cannot match
                nextProbeIdx = r.raftLog.findConflictByTerm(m.rejectHint(), m.logTerm())[0];
            }
            if (pr.maybeDecrTo(m.index(), nextProbeIdx)) {
                if (pr.state == ProgressState.REPLICATE) {
                    pr.becomeProbe();
                }
                r.sendAppend(m.from());
            }
            return;
        }
        boolean oldPaused = pr.isPaused();
        if (!pr.maybeUpdate(m.index()) && !(pr.match == m.index() && pr.state == ProgressState.PROBE)) {
            return;
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.match + 1 >= r.raftLog.firstIndex()) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.inflights.freeLE(m.index());
        }
        if (r.maybeCommit()) {
            r.releasePendingReadIndexMessages();
            r.bcastAppend();
        } else if (oldPaused) {
            r.sendAppend(m.from());
        }
        int guard = 0;
        while (r.maybeSendAppend(m.from(), false) && guard++ < r.trk.maxInflight) {
            // keep the pipeline full up to the inflight window
        }
        if (m.from() == r.leadTransferee && pr.match == r.raftLog.lastIndex()) {
            Raft.LOG.info("{} sent TIMEOUT_NOW to {} after its log caught up", r.id, m.from());
            r.sendTimeoutNow(m.from());
        }
    }

    private static void handleHeartbeatResponse(Raft r, Message m, Progress pr) {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (pr.match < r.raftLog.lastIndex() || pr.state == ProgressState.PROBE) {
            r.sendAppend(m.from());
        }
        if (r.readOnly.option != ReadOnlyOption.SAFE || m.contextLength() == 0) {
            return;
        }
        Set<Long> acks = r.readOnly.recvAck(m.from(), m.context());
        if (acks == null) {
            return;
        }
        Map<Long, Boolean> votes = new HashMap<>();
        for (long id : acks) {
            votes.put(id, true);
        }
        if (r.trk.config().voters().voteResult(votes) != VoteResult.WON) {
            return;
        }
        for (ReadOnly.Status rs : r.readOnly.advance(m.context())) {
            Message resp = r.responseToReadIndexReq(rs.req, rs.index);
            if (resp != null) {
                r.send(resp);
            }
        }
    }

    private static void handleTransfer(Raft r, Message m, Progress pr) {
        if (pr.isLearner) {
            Raft.LOG.debug("{} ignored transfer to learner {}", r.id, m.from());
            return;
        }
        long transferee = m.from();
        if (r.leadTransferee != Raft.NONE) {
            if (r.leadTransferee == transferee) {
                return; // same transfer already in progress
            }
            r.abortLeaderTransfer();
        }
        if (transferee == r.id) {
            return; // already leader
        }
        r.electionElapsed = 0; // transfer must complete within one election timeout
        r.leadTransferee = transferee;
        if (pr.match == r.raftLog.lastIndex()) {
            r.sendTimeoutNow(transferee);
        } else {
            r.sendAppend(transferee);
        }
    }
}
