package io.keel.kvstore;

import static io.keel.kvstore.Kv.b;
import static io.keel.kvstore.Kv.cmpValue;
import static io.keel.kvstore.Kv.cmpVersion;
import static io.keel.kvstore.Kv.del;
import static io.keel.kvstore.Kv.get;
import static io.keel.kvstore.Kv.op;
import static io.keel.kvstore.Kv.put;
import static io.keel.kvstore.Kv.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group apply ({@link MvccStore#beginGroup()} .. {@link MvccStore#commitGroup()}): many entries in one RocksDB
 * batch must give exactly what applying them one by one gives — responses, errors, revisions, applied index,
 * listener events in order, content (HashKV) and what survives a reopen — and nothing staged is visible early.
 */
class GroupApplyTest {
  @TempDir Path dir;

  private static MvccStore open(Path p) {
    return MvccStore.open(MvccStore.Options.of(p).syncWrites(false));
  }

  /** One random request applied at a Raft index: its response or etcd error, as text for comparison. */
  private static String apply(MvccStore s, SplittableRandom rnd, long index) {
    String k = "k" + rnd.nextInt(12);
    try {
      Message r = switch (rnd.nextInt(6)) {
        case 0, 1 -> s.put(PutRequest.newBuilder(put(k, "v" + rnd.nextInt(1000))).setPrevKv(rnd.nextBoolean())
            .build(), index);
        case 2 -> rnd.nextBoolean() ? s.deleteRange(del(k), index) : s.deleteRange(del("k2", "k6"), index);
        case 3 -> s.put(PutRequest.newBuilder().setKey(b(k)).setIgnoreValue(true).build(), index); // may fail
        default -> s.txn(TxnRequest.newBuilder()
            .addCompare(rnd.nextBoolean() ? cmpVersion(k, Compare.CompareResult.GREATER, rnd.nextInt(3))
                : cmpValue(k, Compare.CompareResult.EQUAL, "v" + rnd.nextInt(1000)))
            .addSuccess(op(put(k, "t" + index))).addSuccess(op(range("k0", "k9")))
            .addFailure(op(get(k))).addFailure(op(put("k" + rnd.nextInt(12), "f" + index))).build(), index);
      };
      return r.toString();
    } catch (EtcdException e) {
      return "error " + e.getMessage();
    }
  }

  @Test
  void groupsGiveExactlyWhatSingleAppliesGive() {
    for (int seed = 1; seed <= 20; seed++) {
      Path a = dir.resolve("single-" + seed);
      Path g = dir.resolve("group-" + seed);
      List<String> singleOut = new ArrayList<>();
      List<String> groupOut = new ArrayList<>();
      List<String> singleEvents = new ArrayList<>();
      List<String> groupEvents = new ArrayList<>();
      try (MvccStore single = open(a); MvccStore grouped = open(g)) {
        single.addListener((rev, evs) -> singleEvents.add(rev + " " + evs));
        grouped.addListener((rev, evs) -> {
          assertThat(grouped.currentRevision()).isGreaterThanOrEqualTo(rev); // published before announced
          groupEvents.add(rev + " " + evs);
        });
        SplittableRandom r1 = new SplittableRandom(seed);
        SplittableRandom r2 = new SplittableRandom(seed);
        SplittableRandom sizes = new SplittableRandom(seed * 31L);
        long index = 1;
        while (index <= 400) {
          int n = 1 + sizes.nextInt(40);
          grouped.beginGroup();
          long revBefore = grouped.currentRevision();
          long appliedBefore = grouped.appliedIndex();
          for (int i = 0; i < n; i++, index++) {
            singleOut.add(apply(single, r1, index));
            groupOut.add(apply(grouped, r2, index));
          }
          // nothing staged is visible before the batch is written
          assertThat(grouped.currentRevision()).isEqualTo(revBefore);
          assertThat(grouped.appliedIndex()).isEqualTo(appliedBefore);
          grouped.commitGroup();
          assertThat(grouped.currentRevision()).isEqualTo(single.currentRevision());
          assertThat(grouped.appliedIndex()).isEqualTo(single.appliedIndex());
        }
        assertThat(groupOut).isEqualTo(singleOut);
        assertThat(groupEvents).isEqualTo(singleEvents);
        assertThat(grouped.hashKV(0)).isEqualTo(single.hashKV(0));
        assertThat(grouped.range(range("k", "l"))).isEqualTo(single.range(range("k", "l")));
      }
      try (MvccStore single = open(a); MvccStore grouped = open(g)) {
        assertThat(grouped.appliedIndex()).isEqualTo(single.appliedIndex()).isGreaterThanOrEqualTo(400);
        assertThat(grouped.currentRevision()).isEqualTo(single.currentRevision());
        assertThat(grouped.hashKV(0)).isEqualTo(single.hashKV(0));
      }
    }
  }

  @Test
  void laterEntriesReadEarlierStagedOnesAndReadersWaitForTheBatch() {
    try (MvccStore s = open(dir.resolve("s"))) {
      List<Long> announced = new ArrayList<>();
      s.addListener((rev, evs) -> announced.add(rev));
      s.put(put("a", "0"), 1);
      s.beginGroup();
      s.put(put("a", "1"), 2);
      var t = s.txn(TxnRequest.newBuilder().addCompare(cmpValue("a", Compare.CompareResult.EQUAL, "1"))
          .addSuccess(op(put("b", "2"))).addSuccess(op(get("a"))).build(), 3);
      assertThat(t.getSucceeded()).isTrue();
      assertThat(t.getResponses(1).getResponseRange().getKvs(0).getValue().toStringUtf8()).isEqualTo("1");
      var p = s.put(PutRequest.newBuilder(put("a", "3")).setPrevKv(true).build(), 4);
      assertThat(p.getPrevKv().getValue().toStringUtf8()).isEqualTo("1");
      assertThat(p.getPrevKv().getVersion()).isEqualTo(2);
      // another reader still sees revision 2 (a=0, no b) until the batch is written
      assertThat(s.range(get("a")).getKvs(0).getValue().toStringUtf8()).isEqualTo("0");
      assertThat(s.range(get("b")).getCount()).isZero();
      assertThat(announced).containsExactly(2L);
      s.commitGroup();
      assertThat(announced).containsExactly(2L, 3L, 4L, 5L);
      assertThat(s.range(get("a")).getKvs(0).getVersion()).isEqualTo(3);
      assertThat(s.range(get("b")).getCount()).isOne();
      assertThat(s.appliedIndex()).isEqualTo(4);
    }
  }

  @Test
  void aFailedEntryInAGroupChangesNothingButItsAppliedIndex() {
    try (MvccStore s = open(dir.resolve("s"))) {
      s.beginGroup();
      s.put(put("a", "1"), 1);
      assertThatThrownBy(() -> s.put(PutRequest.newBuilder().setKey(b("missing")).setIgnoreValue(true).build(), 2))
          .isInstanceOf(EtcdException.class);
      s.put(put("b", "2"), 3);
      s.commitGroup();
      assertThat(s.currentRevision()).isEqualTo(3);
      assertThat(s.appliedIndex()).isEqualTo(3);
      assertThat(s.range(get("missing")).getCount()).isZero();
      s.beginGroup();
      assertThat(s.deleteRange(del("a"), 0).getDeleted()).isOne(); // no Raft index: applied index unchanged
      s.commitGroup();
    }
    try (MvccStore s = open(dir.resolve("s"))) {
      assertThat(s.appliedIndex()).isEqualTo(3);
      assertThat(s.currentRevision()).isEqualTo(4);
      assertThat(s.range(get("a")).getCount()).isZero();
    }
  }

  @Test
  void otherWritesFlushTheGroupFirstAndAbandonRefusesUntilReopened() {
    Path p = dir.resolve("s");
    try (MvccStore s = open(p)) {
      List<String> seen = new ArrayList<>();
      s.addListener((rev, evs) -> seen.add(rev + ":" + evs.size()));
      s.beginGroup();
      s.put(put("a", "1"), 1);
      s.leaseGrant(7, 60, 2); // written alone, after what was staged
      assertThat(s.currentRevision()).isEqualTo(2);
      assertThat(s.appliedIndex()).isEqualTo(2);
      s.put(PutRequest.newBuilder(put("b", "1")).setLease(7).build(), 3);
      s.flushGroup();
      assertThat(s.appliedIndex()).isEqualTo(3);
      assertThat(s.leases().keys(7)).containsExactly(b("b"));
      s.put(put("c", "1"), 4);
      s.commitGroup();
      assertThat(seen).containsExactly("2:1", "3:1", "4:1");
      assertThatThrownBy(s::commitGroup).isInstanceOf(IllegalStateException.class);

      s.beginGroup();
      assertThatThrownBy(s::beginGroup).isInstanceOf(IllegalStateException.class);
      s.put(put("d", "1"), 5);
      s.abandonGroup();
      assertThat(s.range(get("d")).getCount()).isZero();
      assertThat(seen).hasSize(3);
      assertThatThrownBy(() -> s.put(put("e", "1"), 6)).isInstanceOf(KvStorageException.class);
    }
    try (MvccStore s = open(p)) {
      assertThat(s.appliedIndex()).isEqualTo(4); // entry 5 is replayed from the Raft log after a restart
      assertThat(s.currentRevision()).isEqualTo(4);
      assertThat(s.range(get("d")).getCount()).isZero();
      assertThat(s.leases().keys(7)).containsExactly(b("b"));
    }
  }

  @Test
  void aRevokeBetweenStagedEntriesTakesTheNextRevisionAndTheGroupFollowsIt() {
    Path p = dir.resolve("s");
    try (MvccStore s = open(p)) {
      List<String> seen = new ArrayList<>();
      s.addListener((rev, evs) -> seen.add(rev + ":" + evs.size()));
      s.leaseGrant(7, 60, 1);
      s.put(PutRequest.newBuilder(put("k", "1")).setLease(7).build(), 2); // rev 2
      s.beginGroup();
      s.put(put("a", "1"), 3); // staged: rev 3
      s.flushGroup(); // what the state machine does before a lease revoke
      s.leaseRevoke(7, 4); // written alone: deletes k at rev 4
      s.put(put("b", "1"), 5); // staged again: must be rev 5, not a second rev 4
      s.commitGroup();
      assertThat(seen).containsExactly("2:1", "3:1", "4:1", "5:1");
      assertThat(s.currentRevision()).isEqualTo(5);
      assertThat(s.range(get("b")).getKvs(0).getModRevision()).isEqualTo(5);
      assertThat(s.range(get("k")).getCount()).isZero();
      assertThat(s.appliedIndex()).isEqualTo(5);
    }
    try (MvccStore s = open(p)) {
      assertThat(s.currentRevision()).isEqualTo(5);
      assertThat(s.range(get("b")).getKvs(0).getModRevision()).isEqualTo(5);
    }
  }

  @Test
  void aLargeGroupIsWrittenInBoundedBatches() {
    try (MvccStore s = open(dir.resolve("s"))) {
      List<Event> events = new ArrayList<>();
      s.addListener((rev, evs) -> events.addAll(evs));
      s.beginGroup();
      for (int i = 1; i <= MvccStore.GROUP_MAX_ENTRIES + 10; i++) {
        s.put(put("k" + i, "v"), i);
      }
      // the first GROUP_MAX_ENTRIES were written when the bound was reached
      assertThat(s.appliedIndex()).isEqualTo(MvccStore.GROUP_MAX_ENTRIES);
      assertThat(events).hasSize(MvccStore.GROUP_MAX_ENTRIES);
      s.commitGroup();
      assertThat(s.appliedIndex()).isEqualTo(MvccStore.GROUP_MAX_ENTRIES + 10);
      assertThat(s.keyCount()).isEqualTo(MvccStore.GROUP_MAX_ENTRIES + 10);
    }
  }
}
