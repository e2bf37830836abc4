package io.keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.proto.internal.WalMetadata;
import io.keel.raft.Entry;
import io.keel.raft.EntryType;
import io.keel.raft.HardState;
import io.keel.raft.Ready;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Raft log's persistence of Readys beyond the snapshot paths (see DurableLogSnapshotTest). */
class DurableLogTest {
  @TempDir Path dir;
  final WalMetadata meta = WalMetadata.newBuilder().setClusterId(1).setMemberId(1).addInitialVoters(1).build();

  DurableLog open() throws IOException {
    return DurableLog.open(dir.resolve("wal"), meta, m -> null, new SimpleMeterRegistry());
  }

  /**
   * A follower that re-joined empty got 4.7 MB of entries in one Ready, more than one WAL record (4 MiB) holds,
   * and its Raft loop stopped (chaos run 20261123T000823Z-82). Such a Ready is written as several records.
   */
  @Test
  void aReadyLargerThanOneWalRecordIsPersistedAndSurvivesARestart() throws IOException {
    List<Entry> es = new ArrayList<>();
    for (long i = 2; i <= 61; i++) {
      es.add(new Entry(3, i, EntryType.NORMAL, new byte[100 << 10])); // 60 x 100 KiB = 6 MB
    }
    try (DurableLog log = open()) {
      log.persist(new Ready(null, new HardState(3, 0, 61), List.of(), es, null, List.of(), List.of(), true));
      assertThat(log.lastIndex()).isEqualTo(61);
    }
    try (DurableLog log = open()) {
      assertThat(log.lastIndex()).isEqualTo(61);
      assertThat(log.storage().initialState().hardState()).isEqualTo(new HardState(3, 0, 61));
      assertThat(log.storage().entries(2, 62, Long.MAX_VALUE)).hasSize(60)
          .allSatisfy(e -> assertThat(e.data()).hasSize(100 << 10));
    }
  }
}
