package io.keel.kvstore;

import static io.keel.kvstore.Kv.b;
import static io.keel.kvstore.Kv.del;
import static io.keel.kvstore.Kv.get;
import static io.keel.kvstore.Kv.put;
import static io.keel.kvstore.Kv.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.proto.etcdserverpb.DeleteRangeResponse;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.PutResponse;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MvccStoreBasicTest {
  @TempDir Path dir;
  MvccStore store;

  @BeforeEach
  void open() {
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false).leases(id -> id == 7));
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void freshStoreIsAtRevisionOneAndFirstWriteGetsTwo() {
    assertThat(store.currentRevision()).isEqualTo(1);
    assertThat(store.compactRevision()).isEqualTo(-1);
    PutResponse r = store.put(put("a", "1"), 0);
    assertThat(r.getHeader().getRevision()).isEqualTo(2);
    assertThat(store.currentRevision()).isEqualTo(2);
    RangeResponse g = store.range(get("a"));
    assertThat(g.getCount()).isEqualTo(1);
    assertThat(g.getKvs(0)).isEqualTo(KeyValue.newBuilder().setKey(b("a")).setValue(b("1"))
        .setCreateRevision(2).setModRevision(2).setVersion(1).build());
    assertThat(g.getHeader().getRevision()).isEqualTo(2);
  }

  @Test
  void versionsCountAndResetAfterDelete() {
    store.put(put("k", "1"), 0); // 2
    store.put(put("k", "2"), 0); // 3
    KeyValue kv = store.range(get("k")).getKvs(0);
    assertThat(kv.getVersion()).isEqualTo(2);
    assertThat(kv.getCreateRevision()).isEqualTo(2);
    assertThat(kv.getModRevision()).isEqualTo(3);
    DeleteRangeResponse d = store.deleteRange(del("k"), 0); // 4
    assertThat(d.getDeleted()).isEqualTo(1);
    assertThat(d.getHeader().getRevision()).isEqualTo(4);
    assertThat(store.range(get("k")).getCount()).isZero();
    store.put(put("k", "3"), 0); // 5
    kv = store.range(get("k")).getKvs(0);
    assertThat(kv.getVersion()).isEqualTo(1);
    assertThat(kv.getCreateRevision()).isEqualTo(5);
    // history
    assertThat(store.range(get("k").toBuilder().setRevision(3).build()).getKvs(0).getValue()).isEqualTo(b("2"));
    assertThat(store.range(get("k").toBuilder().setRevision(4).build()).getCount()).isZero();
    assertThat(store.range(get("k").toBuilder().setRevision(2).build()).getKvs(0).getVersion()).isEqualTo(1);
    assertThat(store.range(get("k").toBuilder().setRevision(1).build()).getCount()).isZero();
    assertThatThrownBy(() -> store.range(get("k").toBuilder().setRevision(6).build()))
        .isInstanceOf(EtcdException.class).extracting(e -> ((EtcdException) e).error())
        .isEqualTo(EtcdError.FUTURE_REV);
  }

  @Test
  void deleteOfMissingKeyDoesNotBumpRevision() {
    store.put(put("a", "1"), 0);
    DeleteRangeResponse d = store.deleteRange(del("zz"), 0);
    assertThat(d.getDeleted()).isZero();
    assertThat(d.getHeader().getRevision()).isEqualTo(2);
    assertThat(store.currentRevision()).isEqualTo(2);
  }

  @Test
  void rangeEndConventions() {
    for (String k : List.of("a", "ab", "abc", "b", "c")) {
      store.put(put(k, k), 0);
    }
    assertThat(keys(store.range(get("ab")))).containsExactly("ab");
    assertThat(keys(store.range(range("ab", "ac")))).containsExactly("ab", "abc"); // prefix
    assertThat(keys(store.range(range("ab", "\0")))).containsExactly("ab", "abc", "b", "c"); // from key
    assertThat(keys(store.range(range("\0", "\0")))).containsExactly("a", "ab", "abc", "b", "c"); // all
    assertThat(keys(store.range(range("b", "a")))).isEmpty();
    assertThat(keys(store.range(range("a", "a")))).isEmpty();
  }

  @Test
  void deleteRangeWithPrevKvAndEvents() {
    List<Event> seen = new ArrayList<>();
    List<Long> revs = new ArrayList<>();
    store.addListener((rev, evs) -> {
      revs.add(rev);
      seen.addAll(evs);
    });
    store.put(put("p/1", "x"), 0);
    store.put(put("p/2", "y"), 0);
    store.put(put("q", "z"), 0);
    DeleteRangeResponse d = store.deleteRange(del("p/", "p0").toBuilder().setPrevKv(true).build(), 0);
    assertThat(d.getDeleted()).isEqualTo(2);
    assertThat(d.getPrevKvsList()).extracting(kv -> kv.getValue().toStringUtf8()).containsExactly("x", "y");
    assertThat(revs).containsExactly(2L, 3L, 4L, 5L);
    assertThat(seen).hasSize(5);
    Event e = seen.get(3);
    assertThat(e.getType()).isEqualTo(Event.EventType.DELETE);
    assertThat(e.getKv()).isEqualTo(KeyValue.newBuilder().setKey(b("p/1")).setModRevision(5).build());
    assertThat(e.hasPrevKv()).as("events carry no prev_kv; watchers read it on demand").isFalse();
    assertThat(store.withPrevKv(e).getPrevKv().getValue()).isEqualTo(b("x"));
    assertThat(keys(store.range(range("\0", "\0")))).containsExactly("q");
  }

  @Test
  void putPrevKvIgnoreValueIgnoreLease() {
    store.put(PutRequest.newBuilder().setKey(b("k")).setValue(b("v1")).setLease(7).build(), 0);
    PutResponse r = store.put(PutRequest.newBuilder().setKey(b("k")).setIgnoreValue(true).setPrevKv(true)
        .setIgnoreLease(true).build(), 0);
    assertThat(r.getPrevKv().getValue()).isEqualTo(b("v1"));
    KeyValue kv = store.range(get("k")).getKvs(0);
    assertThat(kv.getValue()).isEqualTo(b("v1"));
    assertThat(kv.getLease()).isEqualTo(7);
    assertThat(kv.getVersion()).isEqualTo(2);
    assertError(() -> store.put(PutRequest.newBuilder().setKey(b("missing")).setIgnoreValue(true).build(), 0),
        EtcdError.KEY_NOT_FOUND);
    assertError(() -> store.put(PutRequest.newBuilder().setKey(b("missing")).setIgnoreLease(true).build(), 0),
        EtcdError.KEY_NOT_FOUND);
    assertError(() -> store.put(PutRequest.newBuilder().setKey(b("k")).setValue(b("x")).setIgnoreValue(true)
        .build(), 0), EtcdError.VALUE_PROVIDED);
    assertError(() -> store.put(PutRequest.newBuilder().setKey(b("k")).setLease(7).setIgnoreLease(true)
        .build(), 0), EtcdError.LEASE_PROVIDED);
    assertError(() -> store.put(PutRequest.newBuilder().setKey(b("k")).setLease(8).build(), 0),
        EtcdError.LEASE_NOT_FOUND);
    assertError(() -> store.put(put("", "x"), 0), EtcdError.EMPTY_KEY);
    assertError(() -> store.range(get("")), EtcdError.EMPTY_KEY);
    assertThat(store.currentRevision()).isEqualTo(3);
  }

  @Test
  void limitMoreCountSortAndFilters() {
    store.put(put("a", "3"), 0); // 2
    store.put(put("b", "2"), 0); // 3
    store.put(put("c", "1"), 0); // 4
    store.put(put("b", "2b"), 0); // 5
    RangeRequest all = range("a", "z");
    RangeResponse r = store.range(all.toBuilder().setLimit(2).build());
    assertThat(keys(r)).containsExactly("a", "b");
    assertThat(r.getMore()).isTrue();
    assertThat(r.getCount()).isEqualTo(3);
    r = store.range(all.toBuilder().setLimit(3).build());
    assertThat(r.getMore()).isFalse();
    r = store.range(all.toBuilder().setCountOnly(true).build());
    assertThat(r.getKvsCount()).isZero();
    assertThat(r.getCount()).isEqualTo(3);
    r = store.range(all.toBuilder().setKeysOnly(true).build());
    assertThat(r.getKvs(0).getValue().isEmpty()).isTrue();
    assertThat(r.getKvs(0).getModRevision()).isEqualTo(2);
    // sort by value descending, limit applies after sorting
    r = store.range(all.toBuilder().setSortOrder(RangeRequest.SortOrder.DESCEND)
        .setSortTarget(RangeRequest.SortTarget.VALUE).setLimit(2).build());
    assertThat(keys(r)).containsExactly("a", "b");
    assertThat(r.getMore()).isTrue();
    // NONE order with a non-KEY target sorts ascending
    r = store.range(all.toBuilder().setSortTarget(RangeRequest.SortTarget.MOD).build());
    assertThat(keys(r)).containsExactly("a", "c", "b");
    r = store.range(all.toBuilder().setSortOrder(RangeRequest.SortOrder.DESCEND).build());
    assertThat(keys(r)).containsExactly("c", "b", "a");
    // filters; count stays the number of keys in range
    r = store.range(all.toBuilder().setMinModRevision(4).build());
    assertThat(keys(r)).containsExactly("b", "c");
    assertThat(r.getCount()).isEqualTo(3);
    r = store.range(all.toBuilder().setMaxCreateRevision(2).build());
    assertThat(keys(r)).containsExactly("a");
    r = store.range(all.toBuilder().setMinCreateRevision(3).setMaxModRevision(4).build());
    assertThat(keys(r)).containsExactly("c");
    // an unknown sort order is accepted and does not sort (etcd 3.4); an unknown target is rejected
    r = store.range(all.toBuilder().setSortOrderValue(7).setLimit(2).build());
    assertThat(keys(r)).containsExactly("a", "b");
    assertThat(r.getMore()).isTrue();
    assertError(() -> store.range(all.toBuilder().setSortTargetValue(9).build()), EtcdError.INVALID_SORT_OPTION);
    r = store.range(all.toBuilder().setMinModRevision(3).setLimit(1).build());
    assertThat(keys(r)).containsExactly("b");
    assertThat(r.getMore()).isTrue();
  }

  @Test
  void reopenKeepsEverything() {
    store.put(put("a", "1"), 10);
    store.put(put("a", "2"), 11);
    store.put(put("b", "1"), 12);
    store.deleteRange(del("b"), 13);
    store.deleteRange(del("nothing"), 14);
    RangeResponse before = store.range(range("\0", "\0"));
    assertThat(store.dbSizeBytes()).isPositive();
    assertThat(store.dbSizeInUseBytes()).isPositive();
    assertThat(store.keyCount()).isEqualTo(2);
    store.close();
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    assertThat(store.currentRevision()).isEqualTo(5);
    assertThat(store.appliedIndex()).isEqualTo(14);
    assertThat(store.range(range("\0", "\0"))).isEqualTo(before);
    assertThat(store.range(get("a").toBuilder().setRevision(2).build()).getKvs(0).getValue()).isEqualTo(b("1"));
    assertThat(store.range(get("b").toBuilder().setRevision(4).build()).getKvs(0).getVersion()).isEqualTo(1);
    assertThat(store.put(put("b", "x"), 15).getHeader().getRevision()).isEqualTo(6);
    assertThat(store.range(get("b")).getKvs(0).getCreateRevision()).isEqualTo(6);
  }

  @Test
  void metersCountOperationsAndErrors() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry reg =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    store.close();
    store = MvccStore.open(new MvccStore.Options(dir, false, reg, null));
    store.put(put("a", "1"), 0);
    store.range(get("a"));
    store.deleteRange(del("a"), 0);
    assertError(() -> store.range(get("")), EtcdError.EMPTY_KEY);
    assertThat(reg.get("keel.kv.put").timer().count()).isEqualTo(1);
    assertThat(reg.get("keel.kv.range").timer().count()).isEqualTo(2);
    assertThat(reg.get("keel.kv.delete").timer().count()).isEqualTo(1);
    assertThat(reg.get("keel.kv.errors").counter().count()).isEqualTo(1);
    assertThat(reg.get("keel.kv.events").counter().count()).isEqualTo(2);
    assertThat(reg.get("keel.kv.revision").gauge().value()).isEqualTo(3);
  }

  static List<String> keys(RangeResponse r) {
    List<String> out = new ArrayList<>();
    r.getKvsList().forEach(kv -> out.add(kv.getKey().toStringUtf8()));
    return out;
  }

  static void assertError(Runnable r, EtcdError expected) {
    assertThatThrownBy(r::run).isInstanceOf(EtcdException.class)
        .extracting(e -> ((EtcdException) e).error()).isEqualTo(expected);
  }
}
