package io.keel.raft;

import static io.keel.raft.Cluster.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RaftCoreTest {
    @Test
    void singleNodeReportsCommittedOnlyAfterItsOwnWriteIsAcknowledged() {
        // etcd #14370: the leader's own match index may only advance once advance() acknowledges the write.
        MemoryStorage disk = MemoryStorage.withVoters(1);
        RaftNode n = new RaftNode(Config.builder(1).build(), disk);
        n.campaign();
        Ready rd = n.ready();
        assertThat(n.status().role()).isEqualTo(StateRole.LEADER);
        assertThat(rd.entries()).hasSize(1); // the no-op
        assertThat(rd.committedEntries()).isEmpty();
        assertThat(rd.mustSync()).isTrue();
        disk.append(rd.entries());
        disk.setHardState(rd.hardState());
        n.advance(rd);

        rd = n.ready();
        assertThat(rd.committedEntries()).extracting(Entry::index).containsExactly(1L);
        n.advance(rd);

        n.propose(b("x"));
        rd = n.ready();
        assertThat(rd.entries()).extracting(Entry::index).containsExactly(2L);
        assertThat(rd.committedEntries()).isEmpty();
        assertThat(rd.hardState()).isNull(); // commit unchanged: nothing reported committed before it is durable
        disk.append(rd.entries());
        n.advance(rd);
        rd = n.ready();
        assertThat(rd.committedEntries()).extracting(Entry::index).containsExactly(2L);
        assertThat(rd.hardState().commit()).isEqualTo(2);
        n.advance(rd);
        assertThat(n.hasReady()).isFalse();
    }

    @Test
    void inputBetweenReadyAndAdvanceIsRejected() {
        RaftNode n = new RaftNode(Config.builder(1).build(), MemoryStorage.withVoters(1));
        n.campaign();
        Ready rd = n.ready();
        assertThatThrownBy(n::tick).isInstanceOf(IllegalStateException.class).hasMessageContaining("advance()");
        n.advance(rd);
        assertThatThrownBy(() -> n.advance(rd)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void electsLeaderReplicatesAndAppliesEverywhereWithNoOpFirst() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.node(1).propose(b("a"));
        c.node(1).propose(b("b"));
        c.stabilize();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.applied.get(id).get(0).dataLength()).as("no-op first").isZero();
            assertThat(c.appliedData(id)).containsExactly("a", "b");
            assertThat(c.node(id).status().leaderId()).isEqualTo(1);
        }
    }

    @Test
    void randomizedElectionTimeoutElectsExactlyOneLeader() {
        Cluster c = new Cluster(5, b -> b);
        c.tickAll(40);
        long leaders = c.nodes.values().stream().filter(n -> n.status().role() == StateRole.LEADER).count();
        assertThat(leaders).isEqualTo(1);
    }

    @Test
    void followerForwardsProposalsUnlessDisabled() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.node(2).propose(b("fwd"));
        c.stabilize();
        assertThat(c.appliedData(3)).containsExactly("fwd");

        Cluster d = new Cluster(3, b -> b.disableProposalForwarding(true));
        d.elect(1);
        assertThatThrownBy(() -> d.node(2).propose(b("x"))).isInstanceOf(ProposalDroppedException.class)
                .hasMessageContaining("forwarding is disabled");
    }

    @Test
    void aBatchOfProposalsIsOneAppendPerFollowerInOrderAndAllOrNothing() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        List<Message> appends = new java.util.ArrayList<>();
        List<Message> forwards = new java.util.ArrayList<>();
        c.drop = m -> {
            if (m.type() == MessageType.APP && !m.entries().isEmpty()) {
                appends.add(m);
            }
            if (m.type() == MessageType.PROP) {
                forwards.add(m);
            }
            return false;
        };
        c.node(1).propose(List.of(b("a"), b("b"), b("c")));
        c.node(2).propose(List.of(b("d"), b("e")));
        c.stabilize();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.appliedData(id)).containsExactly("a", "b", "c", "d", "e");
        }
        assertThat(forwards).hasSize(1); // the follower forwards its batch as one message
        assertThat(forwards.get(0).entries()).hasSize(2);
        assertThat(appends).hasSize(4); // one append per follower per batch
        assertThat(appends.get(0).entries()).hasSize(3);

        assertThatThrownBy(() -> c.node(1).propose(List.of())).isInstanceOf(IllegalArgumentException.class);
        Cluster d = new Cluster(3, b -> b.maxUncommittedEntriesBytes(1000));
        d.elect(1);
        d.cut(1, 2);
        d.cut(1, 3);
        d.node(1).propose(new byte[600]); // uncommitted: the next batch would exceed the budget
        assertThatThrownBy(() -> d.node(1).propose(List.of(new byte[100], new byte[400])))
                .isInstanceOf(ProposalDroppedException.class);
        d.heal();
        d.stabilize();
        d.tick(1, 3);
        assertThat(d.applied.get(2L)).hasSize(2); // the no-op and the single proposal; nothing of the batch
    }

    @Test
    void proposalWithoutLeaderIsDroppedWithClearError() {
        Cluster c = new Cluster(3, b -> b);
        assertThatThrownBy(() -> c.node(1).propose(b("x"))).isInstanceOf(ProposalDroppedException.class)
                .hasMessageContaining("no leader");
    }

    @Test
    void uncommittedBytesBudgetRejectsProposals() {
        Cluster c = new Cluster(3, b -> b.maxUncommittedEntriesBytes(1000));
        c.elect(1);
        c.isolate(1);
        c.node(1).propose(new byte[600]);
        c.stabilize();
        assertThatThrownBy(() -> c.node(1).propose(new byte[600])).isInstanceOf(ProposalDroppedException.class)
                .hasMessageContaining("maxUncommittedEntriesBytes");
        c.heal();
        c.tick(1, 2); // heartbeat -> followers catch up -> commit frees the budget
        c.node(1).propose(new byte[600]);
        c.stabilize();
        assertThat(c.applied.get(2L)).hasSize(3);
    }

    @Test
    void inflightWindowBoundsUnackedAppendsAndMessagesAreBatchedBySize() {
        Cluster c = new Cluster(2, b -> b.maxInflightMsgs(2).maxSizePerMsgBytes(100).maxInflightBytes(1000));
        c.elect(1);
        c.cutOneWay(2, 1); // follower acks are lost: the window must fill and stop
        List<Message> sent = new java.util.ArrayList<>();
        c.drop = m -> {
            if (m.type() == MessageType.APP && !m.entries().isEmpty()) {
                sent.add(m);
            }
            return false;
        };
        for (int i = 0; i < 10; i++) {
            c.node(1).propose(new byte[40]);
            c.stabilize();
        }
        assertThat(sent).hasSize(2);
        for (Message m : sent) {
            long bytes = m.entries().stream().mapToLong(Entry::sizeBytes).sum();
            assertThat(m.entries().size() == 1 || bytes <= 100).isTrue();
        }
        c.heal();
        c.tick(1, 3);
        assertThat(c.applied.get(2L)).hasSize(11);
    }

    @Test
    void followerWithDivergentLogIsRepairedWithFastBackoff() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.isolate(3);
        for (int i = 0; i < 30; i++) {
            c.node(1).propose(b("p" + i));
        }
        c.stabilize();
        // node 3 gets a divergent uncommitted tail while isolated
        c.heal();
        c.isolate(1);
        c.isolate(3);
        c.node(3).campaign();
        c.stabilize();
        c.heal();
        List<Message> probes = new java.util.ArrayList<>();
        c.drop = m -> {
            if (m.type() == MessageType.APP_RESP && m.reject()) {
                probes.add(m);
            }
            return false;
        };
        c.tickAll(30);
        assertThat(c.appliedData(3)).hasSize(30);
        assertThat(probes.size()).as("rejections needed to find the match point").isLessThanOrEqualTo(3);
    }

    @Test
    void readIndexOnLeaderAndFollowerAndLeaseBased() {
        Cluster c = new Cluster(3, b -> b);
        c.elect(1);
        c.node(1).propose(b("a"));
        c.stabilize();
        c.node(1).readIndex(b("r1"));
        c.stabilize();
        assertThat(c.reads.get(1L)).singleElement().satisfies(rs -> {
            assertThat(rs.index()).isEqualTo(2);
            assertThat(rs.requestContext()).isEqualTo(b("r1"));
        });
        c.node(3).readIndex(b("r2"));
        c.stabilize();
        assertThat(c.reads.get(3L)).singleElement().extracting(ReadState::index).isEqualTo(2L);

        Cluster l = new Cluster(3, b -> b.readOnlyOption(ReadOnlyOption.LEASE_BASED));
        l.elect(1);
        l.isolate(1); // lease-based reads are answered without a heartbeat round
        l.node(1).readIndex(b("r3"));
        l.stabilize();
        assertThat(l.reads.get(1L)).hasSize(1);
    }

    @Test
    void leaseBasedReadsRequireCheckQuorum() {
        assertThatThrownBy(() -> Config.builder(1).checkQuorum(false).readOnlyOption(ReadOnlyOption.LEASE_BASED)
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requires checkQuorum");
    }

    @Test
    void configValidationGivesClearErrors() {
        assertThatThrownBy(() -> Config.builder(0).build()).hasMessageContaining("id must be > 0");
        assertThatThrownBy(() -> Config.builder(1).electionTick(2).heartbeatTick(2).build())
                .hasMessageContaining("electionTick");
        assertThatThrownBy(() -> Config.builder(1).maxInflightMsgs(0).build()).hasMessageContaining("maxInflightMsgs");
        assertThatThrownBy(() -> Config.builder(1).maxSizePerMsgBytes(10).maxInflightBytes(5).build())
                .hasMessageContaining("maxInflightBytes");
        assertThatThrownBy(() -> Config.builder(1).maxUncommittedEntriesBytes(0).build())
                .hasMessageContaining("maxUncommittedEntriesBytes");
        assertThat(Config.builder(1).build().testingFault()).isEqualTo(TestingFault.NONE);
    }

    @Test
    void metricsCountProposalsLeadershipAndAppliedEntries() {
        var reg = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        MemoryStorage disk = MemoryStorage.withVoters(1);
        RaftNode n = new RaftNode(Config.builder(1).build(), disk, reg);
        assertThatThrownBy(() -> n.propose(b("x"))).isInstanceOf(ProposalDroppedException.class);
        n.campaign();
        n.propose(b("y"));
        for (int i = 0; i < 3 && n.hasReady(); i++) {
            Ready rd = n.ready();
            disk.append(rd.entries());
            n.advance(rd);
        }
        assertThat(reg.get("keel.raft.proposals").tag("result", "dropped").counter().count()).isEqualTo(1);
        assertThat(reg.get("keel.raft.proposals").tag("result", "accepted").counter().count()).isEqualTo(1);
        assertThat(reg.get("keel.raft.leadership.gained").counter().count()).isEqualTo(1);
        assertThat(reg.get("keel.raft.entries.applied").counter().count()).isEqualTo(2);
        assertThat(reg.get("keel.raft.commit.index").gauge().value()).isEqualTo(2);
    }

    @Test
    void localMessageTypesCannotArriveFromTheNetwork() {
        RaftNode n = new RaftNode(Config.builder(1).build(), MemoryStorage.withVoters(1, 2));
        assertThatThrownBy(() -> n.step(Message.builder(MessageType.HUP).from(2).to(1).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> n.step(Message.builder(MessageType.APP).from(2).to(3).term(1).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("addressed to node 3");
    }
}
