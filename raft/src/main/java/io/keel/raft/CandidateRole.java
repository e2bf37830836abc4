package io.keel.raft;

import io.keel.raft.quorum.VoteResult;

/** Candidate or pre-candidate: collects (pre-)votes; steps down on a current leader's message. */
final class CandidateRole implements Role {
    static final CandidateRole CANDIDATE = new CandidateRole(false);
    static final CandidateRole PRE_CANDIDATE = new CandidateRole(true);

    private final boolean pre;

    private CandidateRole(boolean pre) {
        this.pre = pre;
    }

    @Override
    public StateRole state() {
        return pre ? StateRole.PRE_CANDIDATE : StateRole.CANDIDATE;
    }

    @Override
    public void tick(Raft r) {
        r.tickElection();
    }

    @Override
    public void step(Raft r, Message m) {
        MessageType myVoteResp = pre ? MessageType.PRE_VOTE_RESP : MessageType.VOTE_RESP;
        switch (m.type()) {
            case PROP -> throw new ProposalDroppedException("no leader (campaigning at term " + r.term + ")");
            case APP -> {
                r.becomeFollower(m.term(), m.from());
                r.handleAppendEntries(m);
            }
            case HEARTBEAT -> {
                r.becomeFollower(m.term(), m.from());
                r.handleHeartbeat(m);
            }
            case SNAP -> {
                r.becomeFollower(m.term(), m.from());
                r.handleSnapshot(m);
            }
            default -> {
                if (m.type() == myVoteResp) {
                    VoteResult res = r.poll(m.from(), m.type(), !m.reject());
                    if (res == VoteResult.WON) {
                        if (pre) {
                            r.campaign(Raft.CampaignType.ELECTION);
                        } else {
                            r.becomeLeader();
                            r.bcastAppend();
                        }
                    } else if (res == VoteResult.LOST) {
                        r.becomeFollower(r.term, Raft.NONE);
                    }
                }
                // TIMEOUT_NOW and others are ignored while campaigning
            }
        }
    }
}
