package io.keel.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.mvccpb.KeyValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer (puts, txns, deletes, compactions) and concurrent readers. A reader at revision R must always
 * see exactly the same result for R (snapshot isolation) or get COMPACTED, never a partial txn or an error.
 */
class ConcurrentReadTest {
  @TempDir Path dir;

  @Test
  void readersSeeStableSnapshotsWhileTheWriterApplies() throws Exception {
    try (MvccStore s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false))) {
      ByteString all = ByteString.copyFrom(new byte[] {0});
      ConcurrentHashMap<Long, List<KeyValue>> seen = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong reads = new AtomicLong();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      List<Thread> readers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        Thread th = new Thread(() -> {
          Random r = new Random();
          try {
            while (!stop.get()) {
              long cur = s.currentRevision();
              long rev = Math.max(1, cur - r.nextInt(20));
              RangeResponse resp;
              try {
                resp = s.range(RangeRequest.newBuilder().setKey(all).setRangeEnd(all).setRevision(rev).build());
              } catch (EtcdException e) {
                assertThat(e.error()).isEqualTo(EtcdError.COMPACTED);
                continue;
              }
              List<KeyValue> prev = seen.putIfAbsent(rev, resp.getKvsList());
              if (prev != null) {
                assertThat(resp.getKvsList()).isEqualTo(prev);
              }
              // txns write pairs atomically: p/<n>a and p/<n>b always have the same value
              java.util.Map<String, ByteString> vals = new java.util.HashMap<>();
              for (KeyValue kv : resp.getKvsList()) {
                assertThat(kv.getModRevision()).isLessThanOrEqualTo(rev);
                vals.put(kv.getKey().toStringUtf8(), kv.getValue());
              }
              for (int i = 0; i < 10; i++) {
                assertThat(vals.get("p/" + i + "a")).isEqualTo(vals.get("p/" + i + "b"));
              }
              reads.incrementAndGet();
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        th.start();
        readers.add(th);
      }
      Random r = new Random(7);
      long deadline = System.nanoTime() + 2_000_000_000L;
      int writes = 0;
      while (System.nanoTime() < deadline && writes < 200_000) {
        int i = r.nextInt(10);
        int kind = r.nextInt(20);
        if (kind < 14) {
          String v = "v" + writes;
          s.txn(TxnRequest.newBuilder().addSuccess(Kv.op(Kv.put("p/" + i + "a", v)))
              .addSuccess(Kv.op(Kv.put("p/" + i + "b", v))).build(), writes + 1);
        } else if (kind < 18) {
          s.deleteRange(Kv.del("p/" + i + "a", "p/" + i + "c"), writes + 1);
        } else if (s.currentRevision() > 30) {
          long target = s.currentRevision() - 10;
          if (target > s.compactRevision()) {
            s.compact(CompactionRequest.newBuilder().setRevision(target).build(), writes + 1);
          }
        }
        writes++;
      }
      stop.set(true);
      for (Thread th : readers) {
        th.join(10_000);
      }
      assertThat(failures).isEmpty();
      assertThat(reads.get()).isPositive();
      s.index().checkInvariants();
    }
  }

  @Test
  void closeWaitsForReadersAndLaterReadsFailCleanly() throws Exception {
    MvccStore s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    for (int i = 0; i < 200; i++) {
      s.put(Kv.put("k" + i, "v"), 0);
    }
    ByteString all = ByteString.copyFrom(new byte[] {0});
    AtomicLong ok = new AtomicLong();
    List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    AtomicBoolean sawClosed = new AtomicBoolean();
    Thread reader = new Thread(() -> {
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (System.nanoTime() < deadline) {
        try {
          s.range(RangeRequest.newBuilder().setKey(all).setRangeEnd(all).build());
          s.events(2, Long.MAX_VALUE, true, 50);
          ok.incrementAndGet();
        } catch (IllegalStateException e) {
          sawClosed.set(true);
          return;
        } catch (Throwable e) {
          unexpected.add(e);
          return;
        }
      }
    });
    reader.start();
    while (ok.get() < 5) {
      Thread.sleep(1);
    }
    s.close();
    reader.join(20_000);
    assertThat(unexpected).isEmpty();
    assertThat(sawClosed).isTrue();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.put(Kv.put("x", "y"), 0))
        .isInstanceOf(IllegalStateException.class);
  }
}
