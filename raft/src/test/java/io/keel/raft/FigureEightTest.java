package io.keel.raft;

import static io.keel.raft.Cluster.b;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The Raft paper's figure 8, scripted: a leader must not commit an entry from an earlier term by counting
 * replicas. With the test-only fault COMMIT_OLD_TERM_ENTRIES the script makes two nodes apply different
 * entries at the same index; with the correct rule it cannot.
 */
class FigureEightTest {
    private static Cluster run(TestingFault fault) {
        Cluster c = new Cluster(5, b -> b.preVote(false).checkQuorum(false).maxSizePerMsgBytes(1).testingFault(fault));
        c.elect(1);
        // (a) S1 (term 1) replicates entry 2 "A" to S2 only.
        c.cut(1, 3);
        c.cut(1, 4);
        c.cut(1, 5);
        c.node(1).propose(b("A"));
        c.stabilize();
        // (b) S1 is gone; S5 wins term 2 with S3,S4 and appends its no-op at index 2, which nobody receives.
        c.isolate(1);
        c.drop = m -> m.from() == 5 && m.type() == MessageType.APP;
        campaignUntilLeader(c, 5);
        // (c) S5 is gone; S1 comes back and wins a later term. Its own current-term no-op never reaches a
        // quorum, but the old-term entry 2 reaches S2 and S3 (entries of the current term are stripped).
        c.heal();
        c.isolate(5);
        c.restart(1);
        long[] s1Term = new long[1];
        c.rewrite = m -> {
            if (m.type() == MessageType.APP && m.from() == 1
                    && m.entries().stream().anyMatch(e -> e.term() == s1Term[0])) {
                return m.toBuilder().entries(java.util.List.of()).build();
            }
            return m;
        };
        for (int i = 0; i < 5 && c.node(1).status().role() != StateRole.LEADER; i++) {
            c.node(1).campaign();
            s1Term[0] = c.node(1).status().term();
            c.stabilize();
        }
        assertThat(c.node(1).status().role()).isEqualTo(StateRole.LEADER);
        c.tick(1, 3); // heartbeats let S2/S3 ack index 2
        // (d) S1 is gone again; S5 (last term 2 > 1) can win with S2..S4's votes although it lacks entry 2@1.
        c.heal();
        c.rewrite = m -> m;
        c.isolate(1);
        c.restart(5);
        c.drop = m -> m.from() == 5 && m.type() == MessageType.APP;
        campaignUntilLeader(c, 5);
        return c;
    }

    private static void campaignUntilLeader(Cluster c, long id) {
        for (int i = 0; i < 5 && c.node(id).status().role() != StateRole.LEADER; i++) {
            c.node(id).campaign();
            c.stabilize();
        }
        assertThat(c.node(id).status().role()).isEqualTo(StateRole.LEADER);
    }

    /** Whether an entry S1 applied (so: committed) is missing from the new leader S5's log. */
    private static boolean committedEntryLost(Cluster c) {
        for (Entry e : c.applied.get(1L)) {
            long t = c.disks.get(5L).lastIndex() >= e.index() ? c.disks.get(5L).term(e.index()) : -1;
            if (t != e.term()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void committingOldTermEntriesByCountingReplicasLosesACommittedEntry() {
        Cluster c = run(TestingFault.COMMIT_OLD_TERM_ENTRIES);
        assertThat(c.appliedData(1)).as("S1 applied the old-term entry as committed").contains("A");
        assertThat(committedEntryLost(c)).as("leader completeness violated").isTrue();
    }

    @Test
    void currentTermRuleKeepsEveryCommittedEntryInTheNextLeader() {
        Cluster c = run(TestingFault.NONE);
        assertThat(c.appliedData(1)).doesNotContain("A");
        assertThat(committedEntryLost(c)).isFalse();
    }
}
