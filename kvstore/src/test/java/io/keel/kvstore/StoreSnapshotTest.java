package io.keel.kvstore;

import static io.keel.kvstore.Kv.del;
import static io.keel.kvstore.Kv.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.proto.etcdserverpb.CompactionRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot export (point in time, etcd's length rule and SHA-256 trailer), restore, defragment, server records. */
class StoreSnapshotTest {
  @TempDir Path dir;

  static byte[] readAll(StoreSnapshot s, int chunk) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[chunk];
    for (int n; (n = s.read(buf, 0, buf.length)) >= 0; ) {
      assertThat(s.remainingBytes()).isGreaterThanOrEqualTo(0);
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  @Test
  void snapshotIsPointInTimeWithEtcdLengthRuleAndTrailer_andRestoresToTheSameHash() throws Exception {
    Path file = dir.resolve("snap.db");
    long hashAtSnapshot;
    long revAtSnapshot;
    try (MvccStore store = MvccStore.open(MvccStore.Options.of(dir.resolve("a")).syncWrites(false))) {
      Random rnd = new Random(7);
      long index = 0;
      for (int i = 0; i < 500; i++) {
        byte[] v = new byte[rnd.nextInt(300)];
        rnd.nextBytes(v);
        store.put(put("k" + rnd.nextInt(100), new String(v, java.nio.charset.StandardCharsets.ISO_8859_1)), ++index);
      }
      store.deleteRange(del("k1"), ++index);
      store.compact(CompactionRequest.newBuilder().setRevision(200).build(), ++index);
      new ServerRecords(store).put("x/alarm/1/1", new byte[0], ++index);
      hashAtSnapshot = store.hashKV(0).getHash();
      revAtSnapshot = store.currentRevision();
      try (StoreSnapshot snap = StoreSnapshot.open(store)) {
        assertThat(snap.revision()).isEqualTo(revAtSnapshot);
        assertThat(snap.appliedIndex()).isEqualTo(index);
        assertThat(snap.compactRevision()).isEqualTo(200);
        store.put(put("after", "snapshot"), ++index); // not in the snapshot
        byte[] bytes = readAll(snap, 1000);
        assertThat((long) bytes.length).isEqualTo(snap.totalBytes());
        assertThat(bytes.length % 512).as("etcdctl's hasChecksum rule").isEqualTo(32);
        byte[] body = Arrays.copyOf(bytes, bytes.length - 32);
        assertThat(MessageDigest.getInstance("SHA-256").digest(body))
            .isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length));
        assertThat(snap.read(new byte[10], 0, 10)).isEqualTo(-1);
        Files.write(file, bytes);
      }
    }
    SnapshotRestore.Result r = SnapshotRestore.restore(file, dir.resolve("restored"));
    assertThat(r.revision()).isEqualTo(revAtSnapshot);
    try (MvccStore restored = MvccStore.open(MvccStore.Options.of(dir.resolve("restored")))) {
      assertThat(restored.currentRevision()).isEqualTo(revAtSnapshot);
      assertThat(restored.compactRevision()).isEqualTo(200);
      assertThat(restored.appliedIndex()).as("a restored store starts a new log").isZero();
      assertThat(restored.hashKV(0).getHash()).isEqualTo(hashAtSnapshot);
      assertThat(restored.range(Kv.get("after")).getKvsCount()).isZero();
      assertThat(new ServerRecords(restored).entries("x/")).as("old members' alarms are dropped").isEmpty();
    }
  }

  @Test
  void restoreRefusesCorruptTruncatedForeignFilesAndNonEmptyTargets() throws Exception {
    Path file = dir.resolve("snap.db");
    try (MvccStore store = MvccStore.open(MvccStore.Options.of(dir.resolve("a")).syncWrites(false))) {
      for (int i = 0; i < 50; i++) {
        store.put(put("k" + i, "v" + i), i + 1);
      }
      try (StoreSnapshot snap = StoreSnapshot.open(store)) {
        Files.write(file, readAll(snap, 32 << 10));
      }
    }
    Path flipped = Files.copy(file, dir.resolve("flipped.db"));
    try (RandomAccessFile f = new RandomAccessFile(flipped.toFile(), "rw")) {
      f.seek(700);
      int b = f.read();
      f.seek(700);
      f.write(b ^ 1);
    }
    assertThatThrownBy(() -> SnapshotRestore.restore(flipped, dir.resolve("r1")))
        .isInstanceOf(IOException.class).hasMessageContaining("failed its SHA-256 check").hasMessageContaining("flipped.db");
    assertThat(dir.resolve("r1")).doesNotExist();

    Path truncated = dir.resolve("truncated.db");
    Files.write(truncated, Arrays.copyOf(Files.readAllBytes(file), (int) Files.size(file) - 512));
    assertThatThrownBy(() -> SnapshotRestore.restore(truncated, dir.resolve("r2")))
        .isInstanceOf(IOException.class).hasMessageContaining("failed its SHA-256 check");

    Path shortFile = dir.resolve("short.db");
    Files.write(shortFile, new byte[100]);
    assertThatThrownBy(() -> SnapshotRestore.restore(shortFile, dir.resolve("r3")))
        .isInstanceOf(IOException.class).hasMessageContaining("truncated or not a snapshot");

    Path foreign = dir.resolve("bolt.db");
    byte[] body = new byte[1024];
    byte[] sha = MessageDigest.getInstance("SHA-256").digest(body);
    byte[] all = Arrays.copyOf(body, 1056);
    System.arraycopy(sha, 0, all, 1024, 32);
    Files.write(foreign, all);
    assertThatThrownBy(() -> SnapshotRestore.restore(foreign, dir.resolve("r4")))
        .isInstanceOf(IOException.class).hasMessageContaining("not a Keel snapshot");

    Files.createDirectories(dir.resolve("r5"));
    Files.writeString(dir.resolve("r5").resolve("x"), "x");
    assertThatThrownBy(() -> SnapshotRestore.restore(file, dir.resolve("r5")))
        .isInstanceOf(IOException.class).hasMessageContaining("is not empty");
  }

  @Test
  void closingTheStoreClosesAnOpenSnapshot() {
    MvccStore store = MvccStore.open(MvccStore.Options.of(dir.resolve("a")).syncWrites(false));
    store.put(put("k", "v"), 1);
    StoreSnapshot snap = StoreSnapshot.open(store);
    store.close();
    assertThatThrownBy(() -> snap.read(new byte[10], 0, 10)).isInstanceOf(IllegalStateException.class);
    snap.close(); // idempotent, no native crash
  }

  @Test
  void defragmentShrinksTheStoreAfterDeletesAndCompaction() {
    try (MvccStore store = MvccStore.open(MvccStore.Options.of(dir.resolve("a")).syncWrites(false))) {
      Random rnd = new Random(1);
      long index = 0;
      for (int i = 0; i < 2000; i++) {
        byte[] v = new byte[4096]; // random: RocksDB compresses blocks
        rnd.nextBytes(v);
        store.put(put("k" + i, new String(v, java.nio.charset.StandardCharsets.ISO_8859_1)), ++index);
      }
      store.defragment(); // everything in SST files
      long full = store.dbSizeBytes();
      assertThat(full).isGreaterThan(2000L * 4096 / 2);
      store.deleteRange(del("k", "l"), ++index);
      store.compact(CompactionRequest.newBuilder().setRevision(store.currentRevision()).build(), ++index);
      store.defragment();
      assertThat(store.dbSizeBytes()).isLessThan(full / 10);
      assertThat(store.appliedIndex()).isEqualTo(index);
    }
  }

  @Test
  void serverRecordsPersistWithTheAppliedIndex() {
    Path a = dir.resolve("a");
    try (MvccStore store = MvccStore.open(MvccStore.Options.of(a))) {
      ServerRecords rec = new ServerRecords(store);
      rec.put("x/alarm/0000000000000001/1", new byte[] {1}, 5);
      rec.put("x/alarm/0000000000000002/1", new byte[] {2}, 6);
      rec.put("x/alarm/0000000000000001/1", null, 7);
      assertThatThrownBy(() -> rec.put("consistent_index", new byte[8], 8))
          .isInstanceOf(IllegalArgumentException.class);
    }
    try (MvccStore store = MvccStore.open(MvccStore.Options.of(a))) {
      assertThat(store.appliedIndex()).isEqualTo(7);
      assertThat(new ServerRecords(store).entries("x/alarm/").keySet())
          .containsExactly("x/alarm/0000000000000002/1");
    }
  }
}
