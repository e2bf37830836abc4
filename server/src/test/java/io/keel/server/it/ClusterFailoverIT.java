package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keel issue 4 acceptance, on three real Keel processes: kill -9 the leader under write load (a new leader
 * soon, no acknowledged write lost, the killed member back and all HashKV equal), and SIGKILL all three then
 * start all three (every acknowledged write kept, revisions never behind; before that a SIGSTOPped leader is
 * replaced and, after SIGCONT, follows).
 */
class ClusterFailoverIT {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterFailoverIT.class);
  static final int WRITERS = 32;
  static final long MAX_PUTS = 60_000;
  /** Acks required in each load phase: few, because the shared CI box may be very slow to fsync. */
  static final int MIN_ACKS = 50;
  /** The issue asks for ~2 s (election timeout 1 s, randomized up to 2 s); margin for a loaded 2-core box. */
  static final Duration NEW_LEADER_BOUND = Duration.ofSeconds(5);

  @Test
  void killNineOfTheLeaderUnderLoadLosesNoAcknowledgedWrite() {
    try (ProcessCluster cluster = ProcessCluster.keel(ServerFlags.named("failover"), 3, false)) {
      int oldLeader = cluster.awaitLeader(Duration.ofSeconds(20));
      long oldLeaderId = cluster.memberId(oldLeader);
      try (WriteLoad load = new WriteLoad(cluster, "fo/w", WRITERS, MAX_PUTS).start(Duration.ofSeconds(90))) {
        // load for ~4 s, longer if the (shared, loaded) machine is slow to acknowledge anything
        ProcessCluster.sleepMillis(4000);
        int ackedBeforeKill = load.awaitAcks(MIN_ACKS, Duration.ofSeconds(30));
        assertThat(ackedBeforeKill).as("acks before the kill").isGreaterThanOrEqualTo(MIN_ACKS);

        long killedAt = System.nanoTime();
        assertThat(cluster.kill9(oldLeader)).isEqualTo(137);
        int newLeader = cluster.awaitLeader(Duration.ofSeconds(30), oldLeader);
        long electionMs = (System.nanoTime() - killedAt) / 1_000_000;
        LOG.info("kill -9 of leader {} -> new leader {} agreed after {} ms (acked before kill {})",
            cluster.member(oldLeader), cluster.member(newLeader), electionMs, ackedBeforeKill);
        assertThat(cluster.memberId(newLeader)).isNotEqualTo(oldLeaderId);
        assertThat(electionMs).as("ms from kill -9 of the leader to an agreed new leader")
            .isLessThan(NEW_LEADER_BOUND.toMillis());

        int ackedAtElection = load.ackedCount();
        ProcessCluster.sleepMillis(4000); // writes go on under the new leader for ~4 s (or until MIN_ACKS more)
        load.awaitAcks(ackedAtElection + MIN_ACKS, Duration.ofSeconds(30));
        load.stop();
        LOG.info("load: {} acked, {} failed {}", load.ackedCount(), load.failures(), load.failureCodes());
        assertThat(load.ackedCount()).as("acks after the new leader took over")
            .isGreaterThanOrEqualTo(ackedAtElection + MIN_ACKS);

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
      int frozen = cluster.awaitLeader(Duration.ofSeconds(20));
      cluster.pause(frozen); // SIGSTOP: a leader that hangs with its connections open
      long pausedAt = System.nanoTime();
      int successor = cluster.awaitLeader(Duration.ofSeconds(30), frozen);
      LOG.info("SIGSTOP of leader {} -> {} leads after {} ms", cluster.member(frozen), cluster.member(successor),
          (System.nanoTime() - pausedAt) / 1_000_000);
      cluster.resume(frozen);
      cluster.awaitLeader(Duration.ofSeconds(30)); // the woken old leader now follows: all three agree
      long revisionBefore = 0;
      for (int round = 1; round <= 2; round++) {
        try (WriteLoad load = new WriteLoad(cluster, "ra/r" + round + "w", WRITERS, 20_000)
            .start(Duration.ofSeconds(60))) {
          ProcessCluster.sleepMillis(3000);
          load.awaitAcks(MIN_ACKS, Duration.ofSeconds(30));
          cluster.killAll(); // SIGKILL with up to WRITERS puts in flight
          load.stop();
          assertThat(load.ackedCount()).as("acks in round %d", round).isGreaterThanOrEqualTo(MIN_ACKS);
          long maxAcked = load.maxAckedRevision();
          cluster.restartAll();
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
