package io.keel.raft;

import static io.keel.raft.Cluster.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Scenario tests for known Raft bug classes. */
class ScenarioTest {
    @Test
    void partiallyPartitionedNodeCannotDisruptHealthyLeaderWithPreVoteAndCheckQuorum() {
        // 2020 Cloudflare/etcd outage shape: node 3 can reach node 2 but not the leader 1.
        Cluster c = new Cluster(3, b -> b.preVote(true).checkQuorum(true));
        c.elect(1);
        long term = c.node(1).status().term();
        c.cut(1, 3);
        for (int i = 0; i < 100; i++) {
            c.tickAll(1);
            c.node(1).propose(b("p" + i));
            c.stabilize();
        }
        assertThat(c.node(1).status().role()).isEqualTo(StateRole.LEADER);
        assertThat(c.node(1).status().term()).isEqualTo(term);
        assertThat(c.node(2).status().term()).isEqualTo(term);
        assertThat(c.appliedData(2)).hasSize(100);
        // node 3 pre-votes without bumping its term; with CheckQuorum it forgot its leader first
        assertThat(c.node(3).status().term()).isEqualTo(term);
        assertThat(c.node(3).status().leaderId()).isZero();
    }

    @Test
    void withoutCheckQuorumAPartiallyPartitionedPreVoterCanWinAgainstAHealthyLeader() {
        // The counter-example that motivates combining PreVote with CheckQuorum.
        Cluster c = new Cluster(3, b -> b.preVote(true).checkQuorum(false));
        c.elect(1);
        long term = c.node(1).status().term();
        c.cut(1, 3);
        c.tickAll(100);
        assertThat(c.node(1).status().term()).isGreaterThan(term);
    }

    @Test
    void isolatedLeaderStepsDownAndRejoinsAsFollowerWithoutLosingCommits() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.node(1).propose(b("before"));
        c.stabilize();
        c.isolate(1);
        c.node(1).propose(b("lost")); // never committed
        c.stabilize();
        c.tickAll(40);
        assertThat(c.node(1).status().role()).as("CheckQuorum steps the isolated leader down").isNotEqualTo(StateRole.LEADER);
        long newLeader = c.leader();
        assertThat(newLeader).isIn(2L, 3L);
        c.node(newLeader).propose(b("after"));
        c.stabilize();
        c.heal();
        c.tickAll(20);
        for (long id = 1; id <= 3; id++) {
            assertThat(c.appliedData(id)).containsExactly("before", "after");
        }
        assertThat(c.leader()).isEqualTo(newLeader);
    }

    @Test
    void pausedOldLeaderDoesNotServeStaleReadIndex() {
        Cluster c = new Cluster(3, b -> b.readOnlyOption(ReadOnlyOption.SAFE));
        c.elect(1);
        c.node(1).propose(b("a"));
        c.stabilize();
        c.paused.add(1L); // a long GC pause / VM freeze: no ticks, no messages
        c.tickAll(40);
        long newLeader = c.leader();
        assertThat(newLeader).isIn(2L, 3L);
        c.node(newLeader).propose(b("b"));
        c.stabilize();
        long committedNow = c.node(newLeader).status().commit();
        c.paused.remove(1L);
        // Old leader still believes it leads; it must not answer from its stale commit index.
        assertThat(c.node(1).status().role()).isEqualTo(StateRole.LEADER);
        c.node(1).readIndex(b("stale?"));
        c.stabilize();
        assertThat(c.reads.get(1L)).allSatisfy(rs -> assertThat(rs.index()).isGreaterThanOrEqualTo(committedNow));
        assertThat(c.node(1).status().role()).isEqualTo(StateRole.FOLLOWER);
    }

    @Test
    void leadershipTransferUnderLoadLosesNothing() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        for (int i = 0; i < 20; i++) {
            c.node(1).propose(b("x" + i));
        }
        c.node(1).transferLeadership(3);
        c.stabilize();
        assertThat(c.leader()).isEqualTo(3);
        for (int i = 20; i < 40; i++) {
            c.node(2).propose(b("x" + i)); // forwarded to the new leader
        }
        c.stabilize();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.appliedData(id)).hasSize(40);
            assertThat(c.appliedData(id).get(39)).isEqualTo("x39");
        }
    }

    @Test
    void transferAndReadRequestedAtFollowersReachTheRightNodes() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.node(2).transferLeadership(3); // forwarded to the leader; the transferee must stay 3
        c.stabilize();
        assertThat(c.leader()).isEqualTo(3);
        // a read requested at a follower is answered to that follower
        c.node(2).readIndex(b("r"));
        c.stabilize();
        assertThat(c.reads.get(2L)).singleElement().extracting(ReadState::index)
                .isEqualTo(c.node(3).status().commit());
        // a TRANSFER_LEADER that arrives with a term at a follower is forwarded, not rejected
        c.node(1).step(Message.builder(MessageType.TRANSFER_LEADER).from(2).to(1)
                .term(c.node(1).status().term()).build());
        c.stabilize();
        assertThat(c.leader()).isEqualTo(2);
    }

    @Test
    void transferToLaggingFollowerWaitsForCatchUpAndProposalsAreRejectedMeanwhile() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.isolate(3);
        c.node(1).propose(b("a"));
        c.stabilize();
        c.node(1).transferLeadership(3);
        c.stabilize();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.node(1).propose(b("b")))
                .isInstanceOf(ProposalDroppedException.class).hasMessageContaining("transfer");
        c.heal();
        c.tick(1, 2);
        assertThat(c.leader()).isEqualTo(3);
    }

    @Test
    void learnerReplicatesButDoesNotVoteThenIsPromoted() {
        Cluster c = new Cluster(3, b -> b);
        c.add(4, new MemoryStorage(), b -> b);
        c.elect(1);
        c.node(1).proposeConfChange(ConfChange.of(ConfChangeType.ADD_LEARNER_NODE, 4));
        c.node(1).propose(b("x"));
        c.stabilize();
        assertThat(c.confs.get(1L).learners()).containsExactly(4L);
        assertThat(c.appliedData(4)).containsExactly("x");
        c.tick(4, 50);
        assertThat(c.node(4).status().role()).as("learners never campaign").isEqualTo(StateRole.FOLLOWER);
        // learner acks do not count: with 2 and 3 cut off nothing commits
        c.cut(1, 2);
        c.cut(1, 3);
        long commit = c.node(1).status().commit();
        c.node(1).propose(b("y"));
        c.stabilize();
        assertThat(c.node(1).status().commit()).isEqualTo(commit);
        c.heal();
        c.tick(1, 1);
        c.node(1).proposeConfChange(ConfChange.of(ConfChangeType.ADD_NODE, 4));
        c.stabilize();
        assertThat(c.confs.get(4L).voters()).containsExactly(1L, 2L, 3L, 4L);
        assertThat(c.confs.get(4L).learners()).isEmpty();
    }

    @Test
    void jointConsensusSurvivesLeaderChangeMidway() {
        Cluster c = new Cluster(3, b -> b);
        c.add(4, new MemoryStorage(), b -> b);
        c.elect(1);
        c.node(1).proposeConfChange(ConfChange.of(ConfChangeType.ADD_LEARNER_NODE, 4));
        c.stabilize();
        // replace voter 1 by 4 through an explicit joint configuration
        c.node(1).proposeConfChange(new ConfChange(ConfChangeTransition.EXPLICIT, List.of(
                new ConfChangeSingle(ConfChangeType.ADD_NODE, 4), new ConfChangeSingle(ConfChangeType.REMOVE_NODE, 1)),
                null));
        c.stabilize();
        assertThat(c.confs.get(2L).votersOutgoing()).containsExactly(1L, 2L, 3L);
        assertThat(c.confs.get(2L).voters()).containsExactly(2L, 3L, 4L);
        // leader changes while joint: a new leader needs majorities of both halves
        c.node(1).transferLeadership(2);
        c.stabilize();
        assertThat(c.leader()).isEqualTo(2);
        c.node(2).propose(b("joint"));
        c.stabilize();
        c.node(2).proposeConfChange(ConfChange.leaveJoint());
        c.stabilize();
        for (long id = 2; id <= 4; id++) {
            assertThat(c.confs.get(id).voters()).containsExactly(2L, 3L, 4L);
            assertThat(c.confs.get(id).votersOutgoing()).isEmpty();
            assertThat(c.appliedData(id)).containsExactly("joint");
        }
        c.node(2).propose(b("after"));
        c.stabilize();
        assertThat(c.appliedData(4)).containsExactly("joint", "after");
    }

    @Test
    void autoLeaveJointConfiguration() {
        Cluster c = new Cluster(3, b -> b);
        c.add(4, new MemoryStorage(), b -> b);
        c.add(5, new MemoryStorage(), b -> b);
        c.elect(1);
        c.node(1).proposeConfChange(new ConfChange(ConfChangeTransition.AUTO, List.of(
                new ConfChangeSingle(ConfChangeType.ADD_NODE, 4), new ConfChangeSingle(ConfChangeType.ADD_NODE, 5)),
                null));
        c.stabilize();
        assertThat(c.confs.get(5L).voters()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(c.confs.get(5L).votersOutgoing()).isEmpty();
    }

    @Test
    void removedLeaderStepsDown() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.node(1).proposeConfChange(ConfChange.of(ConfChangeType.REMOVE_NODE, 1));
        c.stabilize();
        assertThat(c.node(1).status().role()).isEqualTo(StateRole.FOLLOWER);
        c.tickAll(40);
        long leader = c.leader();
        assertThat(leader).isIn(2L, 3L);
        c.node(leader).propose(b("z"));
        c.stabilize();
        assertThat(c.appliedData(2)).containsExactly("z");
    }

    @Test
    void slowFollowerIsCaughtUpBySnapshot() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.isolate(3);
        for (int i = 0; i < 10; i++) {
            c.node(1).propose(b("s" + i));
            c.stabilize();
        }
        MemoryStorage d1 = c.disks.get(1L);
        long applied = c.node(1).status().applied();
        d1.createSnapshot(applied, c.confs.get(1L), b("state@" + applied));
        d1.compact(applied);
        c.heal();
        c.tick(1, 3);
        assertThat(c.disks.get(3L).snapshot().metadata().index()).isEqualTo(applied);
        c.node(1).propose(b("after"));
        c.stabilize();
        assertThat(c.appliedData(3)).containsExactly("after");
        assertThat(c.node(1).progressState(3)).isEqualTo("REPLICATE");
    }
}
