package io.keel.kvstore;

import static io.keel.kvstore.Kv.del;
import static io.keel.kvstore.Kv.op;
import static io.keel.kvstore.Kv.put;
import static io.keel.kvstore.MvccStoreBasicTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** History read back as events equals what the listener saw live. */
class EventReaderTest {
  @TempDir Path dir;

  @Test
  void historyEqualsLiveEvents() {
    try (MvccStore s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false))) {
      List<Event> live = new ArrayList<>();
      s.addListener((rev, evs) -> live.addAll(evs));
      s.put(put("a", "1"), 0); // 2
      s.put(put("a", "2"), 0); // 3
      s.txn(TxnRequest.newBuilder().addSuccess(op(put("b", "1"))).addSuccess(op(put("c", "1"))).build(), 0); // 4
      s.deleteRange(del("a", "c"), 0); // 5: a, b
      s.put(put("a", "3"), 0); // 6
      assertThat(live).noneMatch(Event::hasPrevKv); // the write path reads no previous values
      List<Event> withPrev = live.stream().map(s::withPrevKv).toList();
      assertThat(withPrev.get(1).getPrevKv().getValue().toStringUtf8()).isEqualTo("1");
      assertThat(withPrev.get(4).getPrevKv().getValue().toStringUtf8()).isEqualTo("2"); // delete of a at 5
      assertThat(withPrev.get(5).getPrevKv().getKey().toStringUtf8()).isEqualTo("b"); // delete of b at 5
      assertThat(withPrev.get(0).hasPrevKv()).isFalse(); // a create
      assertThat(s.events(2, 100, true, 1000)).isEqualTo(withPrev);
      assertThat(s.events(4, 5, true, 1000)).isEqualTo(withPrev.subList(2, 6));
      // without prev_kv
      assertThat(s.events(2, 100, false, 1000)).isEqualTo(live);
      // bound: stops on a revision boundary (the txn at 4 has two events)
      assertThat(s.events(3, 100, true, 2)).hasSize(3);
      assertThat(s.events(7, 100, true, 10)).isEmpty();
      s.compact(CompactionRequest.newBuilder().setRevision(4).build(), 0);
      assertError(() -> s.events(3, 100, true, 10), EtcdError.COMPACTED);
      assertThat(s.events(5, 100, true, 10)).isEqualTo(withPrev.subList(4, 7));
      // etcd: prev_kv is read at mod_revision - 1 and dropped when that is compacted
      s.compact(CompactionRequest.newBuilder().setRevision(5).build(), 0);
      assertThat(s.events(5, 100, true, 10)).isEqualTo(live.subList(4, 7)); // 5 - 1 < 5; 6 is a create
      assertThat(s.withPrevKv(live.get(4))).isEqualTo(live.get(4));
      assertThat(s.withPrevKv(live.get(6))).isEqualTo(live.get(6));
    }
  }
}
