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
      assertThat(s.events(2, 100, true, 1000)).isEqualTo(live);
      assertThat(s.events(4, 5, true, 1000)).isEqualTo(live.subList(2, 6));
      // without prev_kv
      assertThat(s.events(3, 3, false, 1000)).containsExactly(live.get(1).toBuilder().clearPrevKv().build());
      // bound: stops on a revision boundary (the txn at 4 has two events)
      assertThat(s.events(3, 100, true, 2)).hasSize(3);
      assertThat(s.events(7, 100, true, 10)).isEmpty();
      s.compact(CompactionRequest.newBuilder().setRevision(4).build(), 0);
      assertError(() -> s.events(3, 100, true, 10), EtcdError.COMPACTED);
      assertThat(s.events(5, 100, true, 10)).isEqualTo(live.subList(4, 7));
    }
  }
}
