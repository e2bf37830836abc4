package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keel.kvstore.StoreCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots on three in-JVM members with --snapshot-count 100 (so the in-memory log keeps 50 entries after
 * each): periodic snapshots and WAL/log compaction, restart from snapshot + WAL tail, and catching up by
 * InstallSnapshot after being compacted past, with the old data dir and with a brand-new one.
 */
class SnapshotReplicationTest {
  @TempDir Path dir;
  MemberCluster c;

  @BeforeEach
  void start() throws IOException {
    c = MemberCluster.builder(dir, 3).snapshotCount(100).build();
    c.startAll();
    c.awaitLeader();
  }

  @AfterEach
  void stop() {
    c.close();
  }

  static List<Long> snapshotIndexes(Path dataDir) throws IOException {
    Path snap = dataDir.resolve("member").resolve("snap");
    try (Stream<Path> s = Files.list(snap)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{16}"))
          .map(n -> Long.parseLong(n, 16)).sorted().toList();
    }
  }

  static List<Path> walSegments(Path dataDir) throws IOException {
    try (Stream<Path> s = Files.list(dataDir.resolve("member").resolve("wal"))) {
      return s.filter(p -> p.toString().endsWith(".wal")).sorted().toList();
    }
  }

  @Test
  void snapshotsAreTakenEverySnapshotCountEntriesAndOnlyTheNewestTwoKept() throws IOException {
    Set<String> acked = c.put(0, 0, 350);
    for (int i = 0; i < 3; i++) {
      int m = i;
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        List<Long> idx = snapshotIndexes(c.dataDir(m));
        assertThat(idx).as("snapshots of member %d", m).hasSizeBetween(1, 2);
        assertThat(idx.get(idx.size() - 1)).isGreaterThanOrEqualTo(300);
      });
      // a serializable read on a follower may lag the acknowledged writes until it applies them
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.keysOn(m, true)).isEqualTo(acked));
    }
    c.assertHashesEqual(List.of(0, 1, 2));
  }

  @Test
  void aMemberRestartsFromItsSnapshotPlusTheWalTail() throws IOException {
    Set<String> acked = c.put(0, 0, 230); // snapshot at >= 200, then a tail of entries after it
    int leader = c.awaitLeader();
    int f = (leader + 1) % 3;
    await().atMost(Duration.ofSeconds(30)).until(() -> !snapshotIndexes(c.dataDir(f)).isEmpty());
    c.stop(f);
    c.start(f);
    assertThat(c.servers[f].member().snapshotsInstalled()).isZero();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.keysOn(f, true)).isEqualTo(acked));
    acked.addAll(c.put(f, 230, 260));
    assertThat(c.keysOn(f, false)).isEqualTo(acked);
    c.assertHashesEqual(List.of(0, 1, 2));
  }

  @Test
  void aMemberCompactedPastCatchesUpBySnapshot() throws IOException {
    Set<String> acked = new HashSet<>(c.put(0, 0, 20));
    int leader = c.awaitLeader();
    int f = (leader + 1) % 3;
    c.stop(f);
    int other = 3 - leader - f;
    acked.addAll(c.put(leader, 20, 420)); // several snapshots; the leader's log no longer holds f's next entry
    c.start(f);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(c.keysOn(f, true)).isEqualTo(acked));
    assertThat(c.servers[f].member().snapshotsInstalled()).as("caught up by InstallSnapshot").isPositive();
    acked.addAll(c.put(f, 420, 440)); // and takes part normally afterwards
    for (int i : List.of(leader, f, other)) {
      assertThat(c.keysOn(i, false)).as("member %d", i).isEqualTo(acked);
    }
    c.assertHashesEqual(List.of(0, 1, 2));
  }

  @Test
  void aBrandNewDataDirForAnExistingMemberCatchesUpBySnapshot() throws IOException {
    Set<String> acked = new HashSet<>(c.put(0, 0, 20));
    int leader = c.awaitLeader();
    int f = (leader + 2) % 3;
    c.stop(f);
    StoreCheckpoint.deleteTree(c.dataDir(f));
    acked.addAll(c.put(leader, 20, 300));
    c.start(f);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(c.keysOn(f, true)).isEqualTo(acked));
    assertThat(c.servers[f].member().snapshotsInstalled()).isPositive();
    c.assertHashesEqual(List.of(0, 1, 2));
    c.stop(f); // and it restarts from what it installed
    c.start(f);
    assertThat(c.keysOn(f, false)).isEqualTo(acked);
  }

  @Test
  void restartingEveryMemberAfterSnapshotsKeepsEveryAcknowledgedWrite() throws IOException {
    Set<String> acked = c.put(0, 0, 260);
    for (int i = 0; i < 3; i++) {
      int m = i;
      await().atMost(Duration.ofSeconds(30)).until(() -> !snapshotIndexes(c.dataDir(m)).isEmpty());
    }
    c.close();
    c.startAll();
    c.awaitLeader();
    for (int i = 0; i < 3; i++) {
      assertThat(c.keysOn(i, false)).as("member %d", i).isEqualTo(acked);
    }
    acked.addAll(c.put(1, 260, 280));
    assertThat(c.keysOn(2, false)).isEqualTo(acked);
    c.assertHashesEqual(List.of(0, 1, 2));
  }
}
