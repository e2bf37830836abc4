package io.keel.raft.quorum;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Two majority configs (incoming, outgoing); decisions need a majority in both. With an empty outgoing
 * config this is a plain majority config.
 */
public record JointConfig(MajorityConfig incoming, MajorityConfig outgoing) {
    public JointConfig {
        incoming = incoming == null ? MajorityConfig.EMPTY : incoming;
        outgoing = outgoing == null ? MajorityConfig.EMPTY : outgoing;
    }

    public boolean isJoint() {
        return !outgoing.isEmpty();
    }

    public Set<Long> ids() {
        TreeSet<Long> s = new TreeSet<>(incoming.ids());
        s.addAll(outgoing.ids());
        return s;
    }

    public boolean contains(long id) {
        return incoming.contains(id) || outgoing.contains(id);
    }

    public long committedIndex(AckedIndexer acked) {
        return Math.min(incoming.committedIndex(acked), outgoing.committedIndex(acked));
    }

    public VoteResult voteResult(Map<Long, Boolean> votes) {
        VoteResult r1 = incoming.voteResult(votes);
        VoteResult r2 = outgoing.voteResult(votes);
        if (r1 == r2) {
            return r1;
        }
        if (r1 == VoteResult.LOST || r2 == VoteResult.LOST) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }
}
