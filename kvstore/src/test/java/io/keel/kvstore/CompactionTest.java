package io.keel.kvstore;

import static io.keel.kvstore.Kv.b;
import static io.keel.kvstore.Kv.del;
import static io.keel.kvstore.Kv.get;
import static io.keel.kvstore.Kv.put;
import static io.keel.kvstore.Kv.range;
import static io.keel.kvstore.MvccStoreBasicTest.assertError;
import static io.keel.kvstore.MvccStoreBasicTest.keys;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

class CompactionTest {
  @TempDir Path dir;
  MvccStore store;

  @BeforeEach
  void open() {
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static CompactionRequest compact(long rev) {
    return CompactionRequest.newBuilder().setRevision(rev).setPhysical(true).build();
  }

  private static RangeRequest at(RangeRequest r, long rev) {
    return r.toBuilder().setRevision(rev).build();
  }

  @Test
  void keepsEachLiveKeysLatestRevisionAndDropsDeletedKeys() {
    store.put(put("a", "1"), 0); // 2
    store.put(put("a", "2"), 0); // 3
    store.put(put("b", "1"), 0); // 4
    store.deleteRange(del("b"), 0); // 5
    store.put(put("a", "3"), 0); // 6
    store.put(put("c", "1"), 0); // 7
    assertThat(storedRevisions()).isEqualTo(6); // revisions 2..7
    store.compact(compact(5), 42);
    assertThat(store.compactRevision()).isEqualTo(5);
    assertThat(store.appliedIndex()).isEqualTo(42);
    // a@3 is a's latest revision <= 5: kept; a@2, b@4 are gone; b's tombstone@5 stays (delete AT the compact
    // revision, readable by watchers resuming there) until the next compaction
    assertThat(storedRevisions()).isEqualTo(4); // a@3, b's tombstone@5, a@6, c@7
    assertThat(store.range(at(get("a"), 5)).getKvs(0).getValue()).isEqualTo(b("2"));
    assertThat(store.range(at(get("a"), 5)).getKvs(0).getVersion()).isEqualTo(2);
    assertThat(store.range(at(range("\0", "\0"), 5)).getCount()).isEqualTo(1);
    assertError(() -> store.range(at(get("a"), 4)), EtcdError.COMPACTED);
    assertThat(store.range(get("a")).getKvs(0).getVersion()).isEqualTo(3);
    assertThat(store.range(get("a")).getKvs(0).getCreateRevision()).isEqualTo(2);
    assertThat(store.keyCount()).isEqualTo(2);
    // compacting at or below the compact revision / above the current revision fails
    assertError(() -> store.compact(compact(5), 0), EtcdError.COMPACTED);
    assertError(() -> store.compact(compact(3), 0), EtcdError.COMPACTED);
    assertError(() -> store.compact(compact(8), 0), EtcdError.FUTURE_REV);
    // a txn range at a compacted revision fails; at the compact revision it succeeds
    assertError(() -> store.txn(TxnRequest.newBuilder().addSuccess(Kv.op(at(get("a"), 4))).build(), 0),
        EtcdError.COMPACTED);
    assertThat(store.txn(TxnRequest.newBuilder().addSuccess(Kv.op(at(get("a"), 5))).build(), 0)
        .getResponses(0).getResponseRange().getCount()).isEqualTo(1);
    // versions continue after compaction
    store.put(put("a", "4"), 0); // 8
    assertThat(store.range(get("a")).getKvs(0).getVersion()).isEqualTo(4);
    store.compact(compact(8), 0);
    assertThat(storedRevisions()).isEqualTo(2);
    assertThat(keys(store.range(range("\0", "\0")))).containsExactly("a", "c");
  }

  @Test
  void deleteAtTheCompactRevisionStaysVisibleToWatchersResumingThere() {
    store.put(put("b", "1"), 0); // 2
    store.deleteRange(del("b"), 0); // 3
    store.put(put("a", "1"), 0); // 4
    store.compact(compact(3), 0);
    var events = store.events(3, 4, false, 10);
    assertThat(events).extracting(e -> e.getType().name() + " " + e.getKv().getKey().toStringUtf8() + "@"
        + e.getKv().getModRevision()).containsExactly("DELETE b@3", "PUT a@4");
    // the key itself is gone from reads at and after the compact revision
    assertThat(store.range(at(get("b"), 3)).getCount()).isZero();
    assertThat(store.keyCount()).isEqualTo(1);
    // it survives a restart, and the next compaction drops it
    store.close();
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    assertThat(store.events(3, 4, false, 10)).hasSize(2);
    assertThat(store.range(get("b")).getCount()).isZero();
    store.put(put("a", "2"), 0); // 5
    store.compact(compact(4), 0);
    assertThat(store.events(4, 5, false, 10)).extracting(e -> e.getKv().getModRevision()).containsExactly(4L, 5L);
    assertThat(storedRevisions()).isEqualTo(2); // a@4, a@5
  }

  @Test
  void reopenKeepsCompactRevisionAndRevisionWhenEverythingWasDeleted() {
    store.put(put("a", "1"), 0); // 2
    store.deleteRange(del("a"), 0); // 3
    store.compact(compact(3), 0);
    assertThat(storedRevisions()).isEqualTo(1); // the tombstone at the compact revision, until the next one
    store.close();
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    assertThat(store.currentRevision()).isEqualTo(3);
    assertThat(store.compactRevision()).isEqualTo(3);
    assertError(() -> store.range(at(get("a"), 2)), EtcdError.COMPACTED);
    assertThat(store.put(put("a", "2"), 0).getHeader().getRevision()).isEqualTo(4);
    assertThat(store.range(get("a")).getKvs(0).getVersion()).isEqualTo(1);
  }

  @Test
  void compactedHistoryRecoversWithRightVersions() {
    for (int i = 0; i < 5; i++) {
      store.put(put("k", "v" + i), 0); // 2..6
    }
    store.compact(compact(5), 0);
    store.close();
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    assertThat(store.range(at(get("k"), 5)).getKvs(0).getVersion()).isEqualTo(4);
    store.put(put("k", "x"), 0);
    assertThat(store.range(get("k")).getKvs(0).getVersion()).isEqualTo(6);
    assertThat(store.range(get("k")).getKvs(0).getCreateRevision()).isEqualTo(2);
  }

  private long storedRevisions() {
    long n = 0;
    try (RocksIterator it = store.db().newIterator(store.keyColumn())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        n++;
      }
    }
    return n;
  }
}
