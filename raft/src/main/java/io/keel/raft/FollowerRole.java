package io.keel.raft;

/** Follower: times out into an election, accepts the leader's log, forwards proposals and reads. */
final class FollowerRole implements Role {
    static final FollowerRole INSTANCE = new FollowerRole();

    @Override
    public StateRole state() {
        return StateRole.FOLLOWER;
    }

    @Override
    public void tick(Raft r) {
        r.tickElection();
    }

    @Override
    public void step(Raft r, Message m) {
        switch (m.type()) {
            case PROP -> {
                if (r.lead == Raft.NONE) {
                    throw new ProposalDroppedException("no leader at term " + r.term + "; proposal dropped");
                }
                if (r.disableProposalForwarding) {
                    throw new ProposalDroppedException("not leader and proposal forwarding is disabled");
                }
                r.send(m.toBuilder().to(r.lead).term(0).build());
            }
            case APP -> {
                r.electionElapsed = 0;
                r.lead = m.from();
                r.handleAppendEntries(m);
            }
            case HEARTBEAT -> {
                r.electionElapsed = 0;
                r.lead = m.from();
                r.handleHeartbeat(m);
            }
            case SNAP -> {
                r.electionElapsed = 0;
                r.lead = m.from();
                r.handleSnapshot(m);
            }
            case TRANSFER_LEADER, READ_INDEX -> {
                if (r.lead == Raft.NONE) {
                    Raft.LOG.debug("{} no leader; dropping {}", r.id, m.type());
                    return;
                }
                // term cleared: send() stamps ours (a message may be forwarded again by a stale follower)
                r.send(m.toBuilder().to(r.lead).term(0).build());
            }
            case TIMEOUT_NOW -> r.hup(Raft.CampaignType.TRANSFER);
            case READ_INDEX_RESP -> {
                if (m.entries().size() != 1) {
                    Raft.LOG.warn("{} invalid READ_INDEX_RESP from {}: {} entries", r.id, m.from(), m.entries().size());
                    return;
                }
                r.addReadState(new ReadState(m.index(), m.entries().get(0).dataUnsafe()));
            }
            default -> {
                // other messages (stale responses) are ignored by followers
            }
        }
    }
}
