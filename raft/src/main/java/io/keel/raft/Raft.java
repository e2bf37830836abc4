package io.keel.raft;

import io.keel.raft.confchange.Changer;
import io.keel.raft.quorum.VoteResult;
import io.keel.raft.tracker.Progress;
import io.keel.raft.tracker.ProgressState;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft protocol state of one node (package-private; the public face is {@link RaftNode}). Holds the
 * term rules common to all roles; role-specific behaviour lives in {@link Role} implementations.
 * No threads, clocks, sockets or disk: inputs are step/tick, outputs accumulate in {@link #msgs} etc.
 */
final class Raft {
    static final Logger LOG = LoggerFactory.getLogger(Raft.class);
    static final long NONE = 0;
    static final byte[] CAMPAIGN_TRANSFER = "CampaignTransfer".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    enum CampaignType { PRE_ELECTION, ELECTION, TRANSFER }

    final long id;
    long term;
    long vote;
    final RaftLog raftLog;
    final io.keel.raft.tracker.ProgressTracker trk;
    Role role = FollowerRole.INSTANCE;
    boolean isLearner;
    final List<Message> msgs = new ArrayList<>();
    final List<ReadState> readStates = new ArrayList<>();
    long lead = NONE;
    long leadTransferee = NONE;
    long pendingConfIndex;
    long uncommittedSize;
    ReadOnly readOnly;
    final List<Message> pendingReadIndexMessages = new ArrayList<>();
    final int maxPendingReads = 4096;
    int electionElapsed;
    int heartbeatElapsed;
    final boolean checkQuorum;
    final boolean preVote;
    final int heartbeatTimeout;
    final int electionTimeout;
    int randomizedElectionTimeout;
    final boolean disableProposalForwarding;
    final boolean stepDownOnRemoval;
    final long maxMsgSize;
    final long maxUncommittedSize;
    final TestingFault fault;
    private final SplittableRandom random;

    Raft(Config c, Storage storage) {
        this.id = c.id();
        this.raftLog = new RaftLog(storage, c.maxCommittedSizePerReadyBytes());
        this.trk = new io.keel.raft.tracker.ProgressTracker(c.maxInflightMsgs(), c.maxInflightBytes());
        this.checkQuorum = c.checkQuorum();
        this.preVote = c.preVote();
        this.heartbeatTimeout = c.heartbeatTick();
        this.electionTimeout = c.electionTick();
        this.disableProposalForwarding = c.disableProposalForwarding();
        this.stepDownOnRemoval = c.stepDownOnRemoval();
        this.maxMsgSize = c.maxSizePerMsgBytes();
        this.maxUncommittedSize = c.maxUncommittedEntriesBytes();
        this.fault = c.testingFault();
        this.random = new SplittableRandom(c.randomSeed());
        this.readOnly = new ReadOnly(c.readOnlyOption(), maxPendingReads);

        InitialState st = storage.initialState();
        Changer.Result res = Changer.restore(st.confState(), raftLog.lastIndex(), trk::newInflights);
        switchToConfig(res);
        HardState hs = st.hardState();
        if (!hs.isEmpty()) {
            if (hs.commit() < raftLog.committed || hs.commit() > raftLog.lastIndex()) {
                throw new IllegalStateException("hard state commit " + hs.commit() + " out of range ["
                        + raftLog.committed + ", " + raftLog.lastIndex() + "]");
            }
            raftLog.committed = hs.commit();
            term = hs.term();
            vote = hs.vote();
        }
        if (c.applied() > 0) {
            raftLog.appliedTo(Math.min(c.applied(), raftLog.committed));
        }
        becomeFollower(term, NONE);
        LOG.debug("{} started: term={} commit={} applied={} last={} conf={}", id, term, raftLog.committed,
                raftLog.applied, raftLog.lastIndex(), trk.config());
    }

    StateRole state() {
        return role.state();
    }

    HardState hardState() {
        return new HardState(term, vote, raftLog.committed);
    }

    // ---- sending ------------------------------------------------------------------------------------

    void send(Message m) {
        // Forwarded requests keep their originator (the proposer, the reader awaiting READ_INDEX_RESP, the
        // transferee), even when forwarded twice by stale followers; everything else is from us.
        boolean forwardable = m.type() == MessageType.PROP || m.type() == MessageType.READ_INDEX
                || m.type() == MessageType.TRANSFER_LEADER;
        Message.Builder b = m.toBuilder().from(forwardable && m.from() != NONE ? m.from() : id);
        MessageType t = m.type();
        if (t == MessageType.VOTE || t == MessageType.VOTE_RESP || t == MessageType.PRE_VOTE
                || t == MessageType.PRE_VOTE_RESP) {
            if (m.term() == 0) {
                throw new IllegalStateException("term must be set when sending " + t);
            }
        } else {
            if (m.term() != 0) {
                throw new IllegalStateException("term must not be preset when sending " + t + " (was " + m.term() + ")");
            }
            if (t != MessageType.PROP && t != MessageType.READ_INDEX) {
                b.term(term); // proposals and forwarded reads are local-like; they carry no term
            }
        }
        msgs.add(b.build());
    }

    void sendAppend(long to) {
        maybeSendAppend(to, true);
    }

    /** Sends an append (or snapshot) to a follower if flow control allows; true if a message was sent. */
    boolean maybeSendAppend(long to, boolean sendIfEmpty) {
        Progress pr = trk.get(to);
        if (pr == null || pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next - 1;
        long prevTerm;
        List<Entry> ents;
        try {
            prevTerm = raftLog.termOrThrow(prevIndex);
            // A throttled REPLICATE follower (full window) still gets an empty append so that, if the whole
            // window was lost, its ack or reject clears the window instead of stalling replication forever.
            ents = (pr.state == ProgressState.REPLICATE && (pr.inflights.full() || pr.next > raftLog.lastIndex()))
                    ? List.of() : raftLog.entries(pr.next, maxMsgSize);
        } catch (CompactedException e) {
            return sendSnapshot(to, pr);
        }
        if (ents.isEmpty() && !sendIfEmpty) {
            return false;
        }
        long bytes = 0;
        for (Entry e : ents) {
            bytes += e.sizeBytes();
        }
        send(Message.builder(MessageType.APP).to(to).index(prevIndex).logTerm(prevTerm).entries(ents)
                .commit(raftLog.committed).build());
        pr.sentEntries(ents.size(), ents.isEmpty() ? prevIndex : ents.get(ents.size() - 1).index(), bytes);
        return true;
    }

    private boolean sendSnapshot(long to, Progress pr) {
        if (!pr.recentActive) {
            LOG.debug("{} not sending snapshot to inactive {}", id, to);
            return false;
        }
        Snapshot s = raftLog.snapshot();
        if (s.isEmpty()) {
            LOG.debug("{} snapshot for {} temporarily unavailable", id, to);
            return false;
        }
        send(Message.builder(MessageType.SNAP).to(to).snapshot(s).build());
        pr.becomeSnapshot(s.metadata().index());
        LOG.debug("{} sent snapshot {} to {}", id, s.metadata().index(), to);
        return true;
    }

    void sendHeartbeat(long to, byte[] ctx) {
        Progress pr = trk.get(to);
        long commit = Math.min(pr.match, raftLog.committed);
        send(Message.builder(MessageType.HEARTBEAT).to(to).commit(commit).context(ctx).build());
    }

    void bcastAppend() {
        for (long to : trk.progress().keySet()) {
            if (to != id) {
                sendAppend(to);
            }
        }
    }

    void bcastHeartbeat() {
        byte[] ctx = readOnly.lastPendingContext();
        for (long to : trk.progress().keySet()) {
            if (to != id) {
                sendHeartbeat(to, ctx);
            }
        }
    }

    void sendTimeoutNow(long to) {
        send(Message.builder(MessageType.TIMEOUT_NOW).to(to).build());
    }

    // ---- commitment ---------------------------------------------------------------------------------

    /** Commits the quorum-replicated index if it is from the current term (Raft §5.4.2). */
    boolean maybeCommit() {
        long mci = trk.committed();
        if (fault == TestingFault.COMMIT_OLD_TERM_ENTRIES) {
            long target = Math.min(mci, raftLog.lastIndex());
            if (target > raftLog.committed) {
                raftLog.commitTo(target); // deliberately unsafe: ignores the entry's term
                return true;
            }
            return false;
        }
        return raftLog.maybeCommit(mci, term);
    }

    boolean committedEntryInCurrentTerm() {
        return raftLog.term(raftLog.committed) == term;
    }

    void appendEntry(List<Entry> es) {
        long li = raftLog.lastIndex();
        List<Entry> stamped = new ArrayList<>(es.size());
        long size = 0;
        for (int i = 0; i < es.size(); i++) {
            Entry e = es.get(i);
            stamped.add(new Entry(term, li + 1 + i, e.type(), e.dataUnsafe()));
            size += e.payloadBytes();
        }
        if (uncommittedSize > 0 && size > 0 && uncommittedSize + size > maxUncommittedSize) {
            throw new ProposalDroppedException("uncommitted entries would exceed maxUncommittedEntriesBytes ("
                    + (uncommittedSize + size) + " > " + maxUncommittedSize + "); proposal dropped");
        }
        uncommittedSize += size;
        raftLog.append(stamped);
        // The leader's own match index advances only when advance() acknowledges the write (etcd #14370).
    }

    void reduceUncommittedSize(List<Entry> ents) {
        if (uncommittedSize == 0) {
            return;
        }
        long s = 0;
        for (Entry e : ents) {
            s += e.payloadBytes();
        }
        uncommittedSize = Math.max(0, uncommittedSize - s);
    }

    /** Called from advance(): the log is durable up to persistedIndex. */
    void onPersisted(long persistedIndex) {
        if (role != LeaderRole.INSTANCE) {
            return;
        }
        Progress self = trk.get(id);
        if (self != null && self.maybeUpdate(persistedIndex) && maybeCommit()) {
            releasePendingReadIndexMessages();
            bcastAppend();
        }
    }

    long persistedIndex() {
        return raftLog.unstable.offset - 1;
    }

    // ---- role transitions ---------------------------------------------------------------------------

    void reset(long newTerm) {
        if (term != newTerm) {
            term = newTerm;
            vote = NONE;
        }
        lead = NONE;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedElectionTimeout = electionTimeout + random.nextInt(electionTimeout);
        abortLeaderTransfer();
        trk.resetVotes();
        long last = raftLog.lastIndex();
        long persisted = Math.min(persistedIndex(), last);
        trk.visit((pid, p) -> {
            p.match = 0;
            p.next = last + 1;
            p.state = ProgressState.PROBE;
            p.msgAppFlowPaused = false;
            p.pendingSnapshot = 0;
            p.inflights.reset();
            if (pid == id) {
                p.match = persisted;
            }
        });
        pendingConfIndex = 0;
        uncommittedSize = 0;
        readOnly = new ReadOnly(readOnly.option, maxPendingReads);
        pendingReadIndexMessages.clear();
    }

    void becomeFollower(long newTerm, long newLead) {
        role = FollowerRole.INSTANCE;
        reset(newTerm);
        lead = newLead;
    }

    void becomeCandidate() {
        if (role == LeaderRole.INSTANCE) {
            throw new IllegalStateException("invalid transition leader -> candidate");
        }
        role = CandidateRole.CANDIDATE;
        reset(term + 1);
        vote = id;
        LOG.debug("{} became candidate at term {}", id, term);
    }

    void becomePreCandidate() {
        if (role == LeaderRole.INSTANCE) {
            throw new IllegalStateException("invalid transition leader -> pre-candidate");
        }
        // Does not change term or vote. Forgetting the leader lets peers that also lost it grant pre-votes;
        // with CheckQuorum, peers that still hear the leader keep rejecting us (PreVote x CheckQuorum).
        role = CandidateRole.PRE_CANDIDATE;
        trk.resetVotes();
        lead = NONE;
    }

    void becomeLeader() {
        if (role == FollowerRole.INSTANCE) {
            throw new IllegalStateException("invalid transition follower -> leader");
        }
        role = LeaderRole.INSTANCE;
        reset(term);
        lead = id;
        Progress self = trk.get(id);
        self.becomeReplicate();
        self.match = persistedIndex();
        self.next = raftLog.lastIndex() + 1;
        self.recentActive = true;
        pendingConfIndex = raftLog.lastIndex(); // conservatively, any conf change in the log may be unapplied
        appendEntry(List.of(new Entry(term, 0, EntryType.NORMAL, null))); // no-op commits earlier terms
        LOG.info("{} became leader at term {}", id, term);
    }

    void abortLeaderTransfer() {
        leadTransferee = NONE;
    }

    boolean promotable() {
        Progress p = trk.get(id);
        return p != null && !p.isLearner && !raftLog.hasPendingSnapshot();
    }

    // ---- elections ----------------------------------------------------------------------------------

    void tickElection() {
        electionElapsed++;
        if (promotable() && electionElapsed >= randomizedElectionTimeout) {
            electionElapsed = 0;
            step(Message.builder(MessageType.HUP).from(id).build());
        }
    }

    void hup(CampaignType t) {
        if (role == LeaderRole.INSTANCE) {
            return;
        }
        if (!promotable()) {
            LOG.debug("{} is unpromotable; campaign ignored", id);
            return;
        }
        if (hasUnappliedConfChanges()) {
            LOG.debug("{} cannot campaign: pending configuration changes to apply", id);
            return;
        }
        campaign(t);
    }

    private boolean hasUnappliedConfChanges() {
        if (raftLog.applied >= raftLog.committed) {
            return false;
        }
        for (Entry e : raftLog.slice(Math.max(raftLog.applied + 1, raftLog.firstIndex()), raftLog.committed + 1,
                Long.MAX_VALUE)) {
            if (e.type() == EntryType.CONF_CHANGE) {
                return true;
            }
        }
        return false;
    }

    void campaign(CampaignType t) {
        long voteTerm;
        MessageType voteMsg;
        if (t == CampaignType.PRE_ELECTION) {
            becomePreCandidate();
            voteMsg = MessageType.PRE_VOTE;
            voteTerm = term + 1; // the term we would use; not adopted until the pre-vote wins
        } else {
            becomeCandidate();
            voteMsg = MessageType.VOTE;
            voteTerm = term;
        }
        if (poll(id, voteMsg.voteResponse(), true) == VoteResult.WON) {
            if (t == CampaignType.PRE_ELECTION) {
                campaign(CampaignType.ELECTION);
            } else {
                becomeLeader();
            }
            return;
        }
        for (long to : trk.config().voters().ids()) {
            if (to == id) {
                continue;
            }
            send(Message.builder(voteMsg).to(to).term(voteTerm).index(raftLog.lastIndex())
                    .logTerm(raftLog.lastTerm()).context(t == CampaignType.TRANSFER ? CAMPAIGN_TRANSFER : null)
                    .build());
        }
    }

    VoteResult poll(long from, MessageType t, boolean granted) {
        trk.recordVote(from, granted);
        return trk.tallyVotes();
    }

    // ---- step: the term rules common to all roles ---------------------------------------------------

    void step(Message m) {
        if (m.term() == 0) {
            // local message
        } else if (m.term() > term) {
            if (m.type() == MessageType.VOTE || m.type() == MessageType.PRE_VOTE) {
                boolean force = java.util.Arrays.equals(m.context(), CAMPAIGN_TRANSFER);
                boolean inLease = checkQuorum && lead != NONE && electionElapsed < electionTimeout;
                if (!force && inLease) {
                    // We heard from a live leader within the minimum election timeout: ignore, do not bump term.
                    LOG.debug("{} ignored {} from {} at term {}: lease not expired", id, m.type(), m.from(), m.term());
                    return;
                }
            }
            if (m.type() == MessageType.PRE_VOTE) {
                // never change our term in response to a pre-vote
            } else if (m.type() == MessageType.PRE_VOTE_RESP && !m.reject()) {
                // granted pre-votes carry the future term; we adopt it only when the pre-vote wins
            } else if (m.type() == MessageType.APP || m.type() == MessageType.HEARTBEAT
                    || m.type() == MessageType.SNAP) {
                becomeFollower(m.term(), m.from());
            } else {
                becomeFollower(m.term(), NONE);
            }
        } else if (m.term() < term) {
            if ((checkQuorum || preVote) && (m.type() == MessageType.HEARTBEAT || m.type() == MessageType.APP)) {
                // A stale leader (e.g. rejoining after a partition): tell it our term so it steps down.
                send(Message.builder(MessageType.APP_RESP).to(m.from()).build());
            } else if (m.type() == MessageType.PRE_VOTE) {
                send(Message.builder(MessageType.PRE_VOTE_RESP).to(m.from()).term(term).reject(true).build());
            }
            return; // other stale messages are ignored
        }

        switch (m.type()) {
            case HUP -> hup(preVote ? CampaignType.PRE_ELECTION : CampaignType.ELECTION);
            case VOTE, PRE_VOTE -> handleVoteRequest(m);
            default -> role.step(this, m);
        }
    }

    private void handleVoteRequest(Message m) {
        boolean canVote = vote == m.from() || (vote == NONE && lead == NONE)
                || (m.type() == MessageType.PRE_VOTE && m.term() > term);
        boolean logOk = fault == TestingFault.VOTE_WITHOUT_LOG_CHECK || raftLog.isUpToDate(m.index(), m.logTerm());
        if (canVote && logOk) {
            send(Message.builder(m.type().voteResponse()).to(m.from()).term(m.term()).build());
            if (m.type() == MessageType.VOTE) {
                electionElapsed = 0;
                vote = m.from();
            }
        } else {
            send(Message.builder(m.type().voteResponse()).to(m.from()).term(term).reject(true).build());
        }
    }

    // ---- follower-side handlers ---------------------------------------------------------------------

    void handleAppendEntries(Message m) {
        if (m.index() < raftLog.committed) {
            send(Message.builder(MessageType.APP_RESP).to(m.from()).index(raftLog.committed).build());
            return;
        }
        long mlast = raftLog.maybeAppend(m.index(), m.logTerm(), m.commit(), m.entries());
        if (mlast >= 0) {
            send(Message.builder(MessageType.APP_RESP).to(m.from()).index(mlast).build());
            return;
        }
        long hintIndex = Math.min(m.index(), raftLog.lastIndex());
        long[] hint = raftLog.findConflictByTerm(hintIndex, m.logTerm());
        send(Message.builder(MessageType.APP_RESP).to(m.from()).index(m.index()).reject(true)
                .rejectHint(hint[0]).logTerm(hint[1]).build());
    }

    void handleHeartbeat(Message m) {
        raftLog.commitTo(m.commit());
        send(Message.builder(MessageType.HEARTBEAT_RESP).to(m.from()).context(m.context()).build());
    }

    void handleSnapshot(Message m) {
        if (m.snapshot() == null) {
            LOG.warn("{} SNAP message from {} without snapshot ignored", id, m.from());
            return;
        }
        if (restore(m.snapshot())) {
            send(Message.builder(MessageType.APP_RESP).to(m.from()).index(raftLog.lastIndex()).build());
        } else {
            send(Message.builder(MessageType.APP_RESP).to(m.from()).index(raftLog.committed).build());
        }
    }

    private boolean restore(Snapshot s) {
        SnapshotMetadata md = s.metadata();
        if (md.index() <= raftLog.committed) {
            return false;
        }
        if (role != FollowerRole.INSTANCE) {
            LOG.warn("{} non-follower attempted to restore snapshot; becoming follower", id);
            becomeFollower(term + 1, NONE);
            return false;
        }
        ConfState cs = md.confState();
        boolean found = cs.voters().contains(id) || cs.learners().contains(id) || cs.votersOutgoing().contains(id);
        if (!found) {
            LOG.warn("{} ignoring snapshot {} that does not contain us", id, md.index());
            return false;
        }
        if (raftLog.matchTerm(md.index(), md.term())) {
            raftLog.commitTo(md.index()); // fast-forward: we already have the snapshot's entries
            return false;
        }
        raftLog.restore(s);
        Changer.Result res = Changer.restore(cs, raftLog.lastIndex(), trk::newInflights);
        switchToConfig(res);
        LOG.debug("{} restored snapshot {}@{}", id, md.index(), md.term());
        return true;
    }

    /** Installs a new membership configuration; returns it as a ConfState. */
    ConfState switchToConfig(Changer.Result res) {
        trk.reset(res.config(), res.progress());
        ConfState cs = res.config().toConfState();
        Progress pr = trk.get(id);
        isLearner = pr != null && pr.isLearner;
        if ((pr == null || isLearner) && role == LeaderRole.INSTANCE) {
            if (stepDownOnRemoval) {
                becomeFollower(term, NONE);
            }
            return cs;
        }
        if (role != LeaderRole.INSTANCE || cs.voters().isEmpty()) {
            return cs;
        }
        if (maybeCommit()) {
            bcastAppend();
        } else {
            for (long to : trk.progress().keySet()) {
                if (to != id) {
                    maybeSendAppend(to, false);
                }
            }
        }
        if (leadTransferee != NONE && !trk.config().voters().contains(leadTransferee)) {
            abortLeaderTransfer();
        }
        return cs;
    }

    // ---- reads --------------------------------------------------------------------------------------

    void addReadState(ReadState rs) {
        readStates.add(rs);
    }

    void sendMsgReadIndexResponse(Message m) {
        if (readOnly.option == ReadOnlyOption.SAFE) {
            if (!readOnly.addRequest(raftLog.committed, m)) {
                LOG.warn("{} dropping duplicate or excess read index request", id);
                return;
            }
            readOnly.recvAck(id, m.entries().get(0).dataUnsafe());
            bcastHeartbeat();
        } else {
            Message resp = responseToReadIndexReq(m, raftLog.committed);
            if (resp != null) {
                send(resp);
            }
        }
    }

    /** For a local request records a ReadState and returns null; for a remote one returns the response. */
    Message responseToReadIndexReq(Message req, long readIndex) {
        if (req.from() == NONE || req.from() == id) {
            readStates.add(new ReadState(readIndex, req.entries().get(0).dataUnsafe()));
            return null;
        }
        return Message.builder(MessageType.READ_INDEX_RESP).to(req.from()).index(readIndex)
                .entries(req.entries()).build();
    }

    void releasePendingReadIndexMessages() {
        if (pendingReadIndexMessages.isEmpty() || !committedEntryInCurrentTerm()) {
            return;
        }
        List<Message> pending = new ArrayList<>(pendingReadIndexMessages);
        pendingReadIndexMessages.clear();
        for (Message m : pending) {
            sendMsgReadIndexResponse(m);
        }
    }
}
