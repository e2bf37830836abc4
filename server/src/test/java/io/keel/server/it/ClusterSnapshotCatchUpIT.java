package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Locale;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keel issue 4 acceptance: a member down long enough for the others to compact their Raft log past it
 * catches up by snapshot. Three real Keel processes with {@code --snapshot-count} {@value #SNAPSHOT_COUNT}; a
 * follower is killed with SIGKILL, the majority commits {@value #PUTS_WHILE_DOWN} puts (many snapshots' worth),
 * then the follower restarts: it must serve every acknowledged put (linearizably), all HashKV must match, and
 * its log must show it installed a snapshot (the entries it missed are gone from the leader's log).
 */
class ClusterSnapshotCatchUpIT {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterSnapshotCatchUpIT.class);
  static final long SNAPSHOT_COUNT = 100;
  static final int PUTS_WHILE_DOWN = 2000;

  @Test
  void aFollowerDownLongEnoughToBeCompactedPastCatchesUpBySnapshot() {
    ServerFlags flags = ServerFlags.named("snap").withSnapshotCount(SNAPSHOT_COUNT);
    try (ProcessCluster cluster = ProcessCluster.keel(flags, 3, false)) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(20));
      int follower = (leader + 1) % cluster.size();
      int[] majority = IntStream.range(0, cluster.size()).filter(i -> i != follower).toArray();
      try (WriteLoad before = new WriteLoad(cluster, "sn/before/w", 4, 50).start(Duration.ofSeconds(20))) {
        before.awaitEnd(Duration.ofSeconds(40));
        ClusterChecks.assertAllAckedReadable(cluster, follower, "sn/before/w", before);
      }
      assertThat(cluster.kill9(follower)).isEqualTo(137);
      long logBytesBeforeRestart = logSize(cluster.member(follower));
      try (WriteLoad down = new WriteLoad(cluster, "sn/down/w", 16, PUTS_WHILE_DOWN, majority)
          .start(Duration.ofSeconds(60))) {
        down.awaitEnd(Duration.ofSeconds(90));
        LOG.info("while {} was down: {} acked, {} failed", cluster.member(follower), down.ackedCount(),
            down.failures());
        assertThat(down.ackedCount()).as("puts acked while the follower was down")
            .isGreaterThan((int) (5 * SNAPSHOT_COUNT));

        cluster.restart(follower);
        ClusterChecks.assertAllAckedReadable(cluster, follower, "sn/down/w", down);
        long revision = cluster.assertHashesConverge(Duration.ofSeconds(60));
        java.util.List<String> snapshotLines = logSince(cluster.member(follower), logBytesBeforeRestart).lines()
            .filter(l -> !l.startsWith("=== [it harness"))
            .map(l -> l.toLowerCase(Locale.ROOT))
            .filter(l -> l.contains("snapshot") && l.contains("install"))
            .toList();
        LOG.info("caught up at revision {}; snapshot lines after restart: {}", revision, snapshotLines);
        assertThat(snapshotLines).as("the restarted member's log (" + cluster.member(follower).logFile()
            + ") shows the snapshot it installed (a line with 'install' and 'snapshot')").isNotEmpty();
      }
    }
  }

  private static long logSize(ServerProcess member) {
    try {
      return Files.size(member.logFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String logSince(ServerProcess member, long offset) {
    try {
      byte[] all = Files.readAllBytes(member.logFile());
      int from = (int) Math.min(all.length, offset);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
