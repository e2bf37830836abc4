package io.keel.kvstore;

import static io.keel.kvstore.Kv.put;
import static io.keel.kvstore.Kv.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint and in-place restore of a live store (what a Raft snapshot install does). */
class StoreCheckpointTest {
  @TempDir Path dir;

  static MvccStore open(Path p) {
    return MvccStore.open(MvccStore.Options.of(p).syncWrites(false));
  }

  static List<String> keys(MvccStore s) {
    List<String> out = new ArrayList<>();
    s.range(range("k", "l")).getKvsList().forEach(kv -> out.add(kv.getKey().toStringUtf8() + "="
        + kv.getValue().toStringUtf8()));
    return out;
  }

  @Test
  void checkpointHoldsTheAppliedIndexAndRestoreReplacesEverything() throws Exception {
    Path other = dir.resolve("other");
    try (MvccStore a = open(dir.resolve("a")); MvccStore b = open(other)) {
      for (int i = 1; i <= 50; i++) {
        a.put(put("k" + i, "a" + i), i);
      }
      a.compact(CompactionRequest.newBuilder().setRevision(20).build(), 51);
      Path cp = dir.resolve("cp");
      assertThat(a.checkpoint(cp)).isEqualTo(51);
      a.put(put("k-after", "x"), 52); // not in the checkpoint

      for (int i = 1; i <= 5; i++) {
        b.put(put("k" + i, "b"), i);
      }
      List<long[]> restored = new ArrayList<>();
      b.addListener(new RevisionListener() {
        @Override
        public void onRevision(long revision, List<Event> events) {}

        @Override
        public void onRestored(long revision, long compactRevision) {
          restored.add(new long[] {revision, compactRevision});
        }
      });
      b.restoreFrom(cp);
      assertThat(b.appliedIndex()).isEqualTo(51);
      assertThat(b.currentRevision()).isEqualTo(51);
      assertThat(b.compactRevision()).isEqualTo(20);
      assertThat(restored).singleElement().satisfies(r -> assertThat(r).containsExactly(51, 20));
      assertThat(keys(b)).hasSize(50).contains("k1=a1", "k50=a50");
      assertThat(b.hashKV(0).getHash()).isEqualTo(a.hashKV(51).getHash());
      assertThat(Files.exists(cp.resolve("CURRENT"))).as("the checkpoint is left as it was").isTrue();
      b.put(put("k-new", "1"), 52); // writable after restore
      assertThat(b.currentRevision()).isEqualTo(52);
    }
    try (MvccStore b = open(other)) {
      assertThat(b.appliedIndex()).isEqualTo(52);
      assertThat(keys(b)).hasSize(51);
    }
  }

  @Test
  void readersDuringARestoreSeeTheOldOrTheNewContentNeverAMix() throws Exception {
    Path cp = dir.resolve("cp");
    try (MvccStore src = open(dir.resolve("src"))) {
      for (int i = 0; i < 200; i++) {
        src.put(put("k" + i, "new"), i + 1);
      }
      src.checkpoint(cp);
    }
    try (MvccStore s = open(dir.resolve("live"))) {
      for (int i = 0; i < 100; i++) {
        s.put(put("k" + i, "old"), i + 1);
      }
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> bad = new AtomicReference<>();
      Set<Integer> seen = ConcurrentHashMap.newKeySet();
      Thread reader = new Thread(() -> {
        while (!stop.get()) {
          try {
            List<String> ks = keys(s);
            boolean allOld = ks.size() == 100 && ks.stream().allMatch(k -> k.endsWith("=old"));
            boolean allNew = ks.size() == 200 && ks.stream().allMatch(k -> k.endsWith("=new"));
            if (!allOld && !allNew) {
              bad.set(new AssertionError("mixed read: " + ks.size() + " keys"));
            }
            seen.add(ks.size());
          } catch (Throwable t) {
            bad.set(t);
          }
        }
      });
      reader.start();
      Thread.sleep(20);
      s.restoreFrom(cp);
      Thread.sleep(20);
      stop.set(true);
      reader.join(10_000);
      assertThat(bad.get()).isNull();
      assertThat(seen).contains(200);
    }
  }

  @Test
  void aSwapInterruptedAfterTheOldDataMovedAwayIsCompletedOnOpen() throws Exception {
    Path live = dir.resolve("live");
    Path cp = dir.resolve("cp");
    try (MvccStore s = open(live)) {
      s.put(put("k1", "v"), 7);
      s.checkpoint(cp);
    }
    // as if the process died between the two renames of restoreFrom
    StoreCheckpoint.linkCopy(cp, StoreCheckpoint.staging(live));
    StoreCheckpoint.move(live, StoreCheckpoint.retired(live));
    try (MvccStore s = open(live)) {
      assertThat(s.appliedIndex()).isEqualTo(7);
      assertThat(keys(s)).containsExactly("k1=v");
    }
    assertThat(Files.exists(StoreCheckpoint.retired(live))).isFalse();
    assertThat(Files.exists(StoreCheckpoint.staging(live))).isFalse();
  }
}
