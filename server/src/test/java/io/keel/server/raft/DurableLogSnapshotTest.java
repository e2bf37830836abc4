package io.keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.proto.internal.WalMetadata;
import io.keel.raft.ConfState;
import io.keel.raft.Entry;
import io.keel.raft.EntryType;
import io.keel.raft.HardState;
import io.keel.raft.Ready;
import io.keel.raft.Snapshot;
import io.keel.raft.SnapshotMetadata;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Raft log's side of snapshots: compaction, WAL marker and release, and restart from snapshot + tail. */
class DurableLogSnapshotTest {
  @TempDir Path dir;
  final WalMetadata meta = WalMetadata.newBuilder().setClusterId(1).setMemberId(1).addInitialVoters(1).build();

  DurableLog open(DurableLog.StartSnapshot start) throws IOException {
    return DurableLog.open(dir.resolve("wal"), meta, start, new SimpleMeterRegistry());
  }

  static void append(DurableLog log, long from, long to) {
    List<Entry> es = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      es.add(new Entry(2, i, EntryType.NORMAL, new byte[] {(byte) i}));
    }
    log.persist(new Ready(null, new HardState(2, 1, to), List.of(), es, null, List.of(), List.of(), true));
  }

  static Snapshot snap(long index, long term) {
    return new Snapshot(new SnapshotMetadata(ConfState.ofVoters(1), index, term), new byte[] {1});
  }

  @Test
  void aSnapshotCompactsTheLogKeepingCatchUpEntriesAndARestartStartsAfterIt() throws IOException {
    AtomicLong markerSeen = new AtomicLong(-1);
    try (DurableLog log = open(m -> null)) {
      append(log, 2, 100);
      log.snapshotTaken(80, ConfState.ofVoters(1), new byte[] {1}, 10, Long.MAX_VALUE, 100);
      assertThat(log.snapshotIndex()).isEqualTo(80);
      assertThat(log.storage().firstIndex()).isEqualTo(71);
      assertThat(log.storage().lastIndex()).isEqualTo(100);
    }
    try (DurableLog log = open(m -> {
      markerSeen.set(m);
      return snap(80, 2);
    })) {
      assertThat(markerSeen.get()).isEqualTo(80);
      assertThat(log.snapshotIndex()).isEqualTo(80);
      assertThat(log.storage().firstIndex()).isEqualTo(81);
      assertThat(log.storage().lastIndex()).isEqualTo(100);
      assertThat(log.storage().entries(81, 101, Long.MAX_VALUE)).hasSize(20);
      assertThat(log.storage().snapshot().data()).containsExactly(1);
    }
  }

  @Test
  void catchUpEntriesAreBoundedByTheirBytesToo() throws IOException {
    try (DurableLog log = open(m -> null)) {
      append(log, 2, 100); // one byte of data per entry
      log.snapshotTaken(80, ConfState.ofVoters(1), new byte[] {1}, 50, 7, 100);
      assertThat(log.storage().firstIndex()).as("7 entries of 1 byte kept before the snapshot").isEqualTo(74);
      assertThat(log.storage().lastIndex()).isEqualTo(100);
      append(log, 101, 200);
      log.snapshotTaken(190, ConfState.ofVoters(1), new byte[] {1}, 3, Long.MAX_VALUE, 200);
      assertThat(log.storage().firstIndex()).as("the entry bound still applies").isEqualTo(188);
    }
  }

  @Test
  void aSnapshotPastTheStoresAppliedIndexIsRefusedBeforeAnythingIsReleased() throws IOException {
    try (DurableLog log = open(m -> null)) {
      append(log, 2, 100);
      assertThatThrownBy(() -> log.snapshotTaken(90, ConfState.ofVoters(1), new byte[0], 0, Long.MAX_VALUE, 50))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("applied index 50");
      assertThat(log.snapshotIndex()).isZero();
    }
    try (DurableLog log = open(m -> {
      assertThat(m).isZero();
      return null;
    })) {
      assertThat(log.storage().firstIndex()).isEqualTo(1);
      assertThat(log.storage().lastIndex()).isEqualTo(100);
    }
  }

  @Test
  void aSnapshotNewerThanTheWalMarkerIsRecordedOnRestart() throws IOException {
    try (DurableLog log = open(m -> null)) {
      append(log, 2, 100);
    }
    try (DurableLog log = open(m -> snap(95, 2))) { // as after a crash between the snapshot and its marker
      assertThat(log.snapshotIndex()).isEqualTo(95);
      assertThat(log.storage().lastIndex()).isEqualTo(100);
    }
    AtomicLong markerSeen = new AtomicLong(-1);
    try (DurableLog log = open(m -> {
      markerSeen.set(m);
      return snap(95, 2);
    })) {
      assertThat(markerSeen.get()).isEqualTo(95);
    }
  }

  @Test
  void anInstalledSnapshotReplacesTheLogAndEntriesFollowIt() throws IOException {
    try (DurableLog log = open(m -> null)) {
      append(log, 2, 10);
      log.installSnapshot(snap(500, 3));
      assertThat(log.storage().firstIndex()).isEqualTo(501);
      List<Entry> es = List.of(new Entry(3, 501, EntryType.NORMAL, new byte[] {5}));
      log.persist(new Ready(null, new HardState(3, 1, 501), List.of(), es, null, List.of(), List.of(), true));
    }
    try (DurableLog log = open(m -> snap(m, 3))) {
      assertThat(log.snapshotIndex()).isEqualTo(500);
      assertThat(log.storage().lastIndex()).isEqualTo(501);
    }
  }

  @Test
  void anEmptyWalBesideASnapshotIsRefused() {
    assertThatThrownBy(() -> open(m -> snap(80, 2))).isInstanceOf(IOException.class)
        .hasMessageContaining("is empty but snapshot 80 exists");
  }
}
