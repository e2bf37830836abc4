package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keel issue 4 acceptance, on three real Keel processes: kill -9 the leader under write load (a new leader
 * soon, no acknowledged write lost, the killed member back and all HashKV equal), and SIGKILL all three then
 * start all three (every acknowledged write kept, revisions never behind).
 */
class ClusterFailoverIT {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterFailoverIT.class);
  static final int WRITERS = 32;
  static final long MAX_PUTS = 60_000;
  /** The issue asks for ~2 s (election timeout 1 s, randomized up to 2 s); margin for a loaded 2-core box. */
  static final Duration NEW_LEADER_BOUND = Duration.ofSeconds(5);

  @Test
  void killNineOfTheLeaderUnderLoadLosesNoAcknowledgedWrite() {
    try (ProcessCluster cluster = ProcessCluster.keel(ServerFlags.named("failover"), 3, false)) {
      int oldLeader = cluster.awaitLeader(Duration.ofSeconds(20));
      long oldLeaderId = cluster.memberId(oldLeader);
      try (WriteLoad load = new WriteLoad(cluster, "fo/w", WRITERS, MAX_PUTS).start(Duration.ofSeconds(10))) {
        ProcessCluster.sleepMillis(4000);
        int ackedBeforeKill = load.ackedCount();
        assertThat(ackedBeforeKill).as("acks in the first 4 s of load").isGreaterThan(100);

        long killedAt = System.nanoTime();
        assertThat(cluster.kill9(oldLeader)).isEqualTo(137);
        int newLeader = cluster.awaitLeader(Duration.ofSeconds(30), oldLeader);
        long electionMs = (System.nanoTime() - killedAt) / 1_000_000;
        LOG.info("kill -9 of leader {} -> new leader {} agreed after {} ms (acked before kill {})",
            cluster.member(oldLeader), cluster.member(newLeader), electionMs, ackedBeforeKill);
        assertThat(cluster.memberId(newLeader)).isNotEqualTo(oldLeaderId);
        assertThat(electionMs).as("ms from kill -9 of the leader to an agreed new leader")
            .isLessThan(NEW_LEADER_BOUND.toMillis());

        load.awaitEnd(Duration.ofSeconds(30));
        LOG.info("load: {} acked, {} failed {}", load.ackedCount(), load.failures(), load.failureCodes());
        assertThat(load.ackedCount()).as("acks after the new leader took over").isGreaterThan(ackedBeforeKill);

        ClusterChecks.assertAllAckedReadable(cluster, newLeader, "fo/w", load);
        cluster.restart(oldLeader);
        ClusterChecks.assertAllAckedReadable(cluster, oldLeader, "fo/w", load);
        cluster.assertHashesConverge(Duration.ofSeconds(60));
      }
    }
  }

  @Test
  void killingAndRestartingAllMembersKeepsEveryAcknowledgedWrite() {
    try (ProcessCluster cluster = ProcessCluster.keel(ServerFlags.named("restart"), 3, false)) {
      cluster.awaitLeader(Duration.ofSeconds(20));
      long revisionBefore = 0;
      for (int round = 1; round <= 2; round++) {
        try (WriteLoad load = new WriteLoad(cluster, "ra/r" + round + "w", WRITERS, 20_000)
            .start(Duration.ofSeconds(4))) {
          load.awaitEnd(Duration.ofSeconds(30));
          assertThat(load.ackedCount()).as("acks in round %d", round).isGreaterThan(100);
          long maxAcked = load.maxAckedRevision();
          cluster.killAllAndRestart(); // SIGKILL, possibly with fsyncs in flight
          int leader = cluster.awaitLeader(Duration.ofSeconds(30));
          for (int i = 0; i < cluster.size(); i++) {
            ProcessCluster.Read read = ClusterChecks.assertAllAckedReadable(cluster, i, "ra/r" + round + "w", load);
            assertThat(read.revision()).as("revision on member %d after restart %d", i, round)
                .isGreaterThanOrEqualTo(maxAcked).isGreaterThanOrEqualTo(revisionBefore);
          }
          revisionBefore = cluster.assertHashesConverge(Duration.ofSeconds(60));
          LOG.info("restart round {}: {} acked kept, leader {}, revision {}", round, load.ackedCount(),
              cluster.member(leader), revisionBefore);
        }
      }
    }
  }
}
