package io.keel.raft.tracker;

import io.keel.raft.ConfState;
import io.keel.raft.quorum.JointConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Immutable membership: joint voter config, learners, learnersNext (voters demoted to learners once the
 * joint config is left) and autoLeave.
 */
public record TrackerConfig(JointConfig voters, Set<Long> learners, Set<Long> learnersNext, boolean autoLeave) {
    public static final TrackerConfig EMPTY = new TrackerConfig(new JointConfig(null, null), Set.of(), Set.of(), false);

    public TrackerConfig {
        learners = Set.copyOf(new TreeSet<>(learners));
        learnersNext = Set.copyOf(new TreeSet<>(learnersNext));
    }

    public ConfState toConfState() {
        return new ConfState(sorted(voters.incoming().ids()), sorted(learners), sorted(voters.outgoing().ids()),
                sorted(learnersNext), autoLeave);
    }

    private static List<Long> sorted(Set<Long> s) {
        return new ArrayList<>(new TreeSet<>(s));
    }

    @Override
    public String toString() {
        return "voters=" + voters.incoming() + (voters.isJoint() ? "&&" + voters.outgoing() : "") + " learners="
                + new TreeSet<>(learners) + (learnersNext.isEmpty() ? "" : " next=" + new TreeSet<>(learnersNext))
                + (autoLeave ? " autoleave" : "");
    }
}
