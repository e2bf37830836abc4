package io.keel.raft;

import java.util.List;

/**
 * Membership as persisted in snapshots: voters, learners, the outgoing voters of a joint configuration,
 * learners that become learners once the joint configuration is left, and whether leaving is automatic.
 */
public record ConfState(List<Long> voters, List<Long> learners, List<Long> votersOutgoing,
                        List<Long> learnersNext, boolean autoLeave) {
    public static final ConfState EMPTY = new ConfState(List.of(), List.of(), List.of(), List.of(), false);

    public ConfState {
        voters = List.copyOf(voters);
        learners = List.copyOf(learners);
        votersOutgoing = List.copyOf(votersOutgoing);
        learnersNext = List.copyOf(learnersNext);
    }

    public static ConfState ofVoters(long... ids) {
        return new ConfState(java.util.Arrays.stream(ids).boxed().toList(), List.of(), List.of(), List.of(), false);
    }
}
