package io.keel.kvstore;

import static io.keel.kvstore.Kv.b;
import static io.keel.kvstore.Kv.cmpValue;
import static io.keel.kvstore.Kv.cmpVersion;
import static io.keel.kvstore.Kv.del;
import static io.keel.kvstore.Kv.get;
import static io.keel.kvstore.Kv.op;
import static io.keel.kvstore.Kv.put;
import static io.keel.kvstore.Kv.range;
import static io.keel.kvstore.MvccStoreBasicTest.assertError;
import static io.keel.kvstore.MvccStoreBasicTest.keys;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.Compare.CompareResult;
import io.keel.proto.etcdserverpb.Compare.CompareTarget;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TxnTest {
  @TempDir Path dir;
  MvccStore store;
  final List<Long> revs = new ArrayList<>();
  final List<Event> events = new ArrayList<>();

  @BeforeEach
  void open() {
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false).leases(id -> id == 5));
    store.addListener((rev, evs) -> {
      revs.add(rev);
      events.addAll(evs);
    });
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void responseShapesMatchEtcd() {
    store.put(put("a", "8"), 0); // rev 2
    // Same shape as real etcd 3.4 answered over its JSON gateway (see class doc of HashKvEtcdParityTest).
    TxnRequest nested = TxnRequest.newBuilder().addSuccess(op(put("y", "2"))).addSuccess(op(get("y"))).build();
    TxnResponse r = store.txn(TxnRequest.newBuilder()
        .addCompare(cmpVersion("a", CompareResult.GREATER, 0))
        .addSuccess(op(get("a")))
        .addSuccess(op(put("x", "1")))
        .addSuccess(op(get("x")))
        .addSuccess(op(del("nope")))
        .addSuccess(op(nested))
        .build(), 0);
    assertThat(r.getSucceeded()).isTrue();
    assertThat(r.getHeader().getRevision()).isEqualTo(3);
    assertThat(r.getResponses(0).getResponseRange().getHeader().getRevision()).isEqualTo(2);
    assertThat(r.getResponses(1).getResponsePut().getHeader().getRevision()).isEqualTo(3);
    assertThat(r.getResponses(2).getResponseRange().getHeader().getRevision()).isEqualTo(3);
    assertThat(r.getResponses(2).getResponseRange().getKvs(0).getModRevision()).isEqualTo(3);
    assertThat(r.getResponses(3).getResponseDeleteRange().getHeader().getRevision()).isEqualTo(3);
    TxnResponse inner = r.getResponses(4).getResponseTxn();
    assertThat(inner.hasHeader()).isTrue();
    assertThat(inner.getHeader()).isEqualTo(ResponseHeader.getDefaultInstance());
    assertThat(inner.getResponses(1).getResponseRange().getKvs(0).getValue()).isEqualTo(b("2"));
    // one revision, increasing sub-revisions, one listener call
    assertThat(revs).containsExactly(2L, 3L);
    assertThat(events).extracting(e -> e.getKv().getKey().toStringUtf8()).containsExactly("a", "x", "y");
    assertThat(store.currentRevision()).isEqualTo(3);
  }

  @Test
  void readOnlyTxnDoesNotBumpRevision() {
    store.put(put("a", "1"), 0);
    TxnResponse r = store.txn(TxnRequest.newBuilder().addSuccess(op(get("a")))
        .addSuccess(op(TxnRequest.getDefaultInstance())).build(), 0);
    assertThat(r.getHeader().getRevision()).isEqualTo(2);
    assertThat(r.getResponses(1).getResponseTxn().getSucceeded()).isTrue();
    assertThat(store.currentRevision()).isEqualTo(2);
  }

  @Test
  void failingOpLeavesNothingApplied() {
    store.put(put("a", "1"), 0);
    // the second put needs a missing key: KEY_NOT_FOUND, and the first put must not be applied
    assertError(() -> store.txn(TxnRequest.newBuilder()
        .addSuccess(op(put("b", "1")))
        .addSuccess(op(PutRequest.newBuilder().setKey(b("missing")).setIgnoreValue(true).build()))
        .build(), 0), EtcdError.KEY_NOT_FOUND);
    assertError(() -> store.txn(TxnRequest.newBuilder()
        .addSuccess(op(put("b", "1")))
        .addSuccess(op(PutRequest.newBuilder().setKey(b("c")).setLease(99).build()))
        .build(), 0), EtcdError.LEASE_NOT_FOUND);
    assertError(() -> store.txn(TxnRequest.newBuilder()
        .addSuccess(op(put("b", "1")))
        .addSuccess(op(get("a").toBuilder().setRevision(50).build()))
        .build(), 0), EtcdError.FUTURE_REV);
    // nested failure deep in the chosen branch
    assertError(() -> store.txn(TxnRequest.newBuilder()
        .addSuccess(op(put("b", "1")))
        .addSuccess(op(TxnRequest.newBuilder().addFailure(op(PutRequest.newBuilder().setKey(b("zz"))
            .setIgnoreLease(true).build())).addCompare(cmpValue("a", CompareResult.EQUAL, "no")).build()))
        .build(), 0), EtcdError.KEY_NOT_FOUND);
    assertThat(store.currentRevision()).isEqualTo(2);
    assertThat(store.range(get("b")).getCount()).isZero();
    assertThat(revs).containsExactly(2L);
    // the same failing op on the branch NOT taken is harmless
    TxnResponse ok = store.txn(TxnRequest.newBuilder()
        .addSuccess(op(put("b", "1")))
        .addFailure(op(PutRequest.newBuilder().setKey(b("missing")).setIgnoreValue(true).build()))
        .build(), 0);
    assertThat(ok.getSucceeded()).isTrue();
    assertThat(store.range(get("b")).getCount()).isEqualTo(1);
  }

  @Test
  void everyCompareTargetAndResult() {
    store.put(PutRequest.newBuilder().setKey(b("k")).setValue(b("m")).setLease(5).build(), 0); // 2
    store.put(put("k", "m"), 0); // 3: version 2, create 2, mod 3, lease 0
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.VERSION).setVersion(2), CompareResult.EQUAL))
        .isTrue();
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.VERSION).setVersion(1), CompareResult.GREATER))
        .isTrue();
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.CREATE).setCreateRevision(3), CompareResult.LESS))
        .isTrue();
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.MOD).setModRevision(3), CompareResult.NOT_EQUAL))
        .isFalse();
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.VALUE).setValue(b("l")), CompareResult.GREATER))
        .isTrue();
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.VALUE).setValue(b("n")), CompareResult.LESS))
        .isTrue();
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.LEASE).setLease(0), CompareResult.EQUAL))
        .isTrue();
    assertThat(cmp(Compare.newBuilder().setTarget(CompareTarget.LEASE).setLease(5), CompareResult.EQUAL))
        .isFalse();
    // missing key: version/create/mod are 0; a VALUE compare always fails
    assertThat(store.txn(TxnRequest.newBuilder().addCompare(Compare.newBuilder().setKey(b("none"))
        .setTarget(CompareTarget.CREATE).setResult(CompareResult.EQUAL).setCreateRevision(0)).build(), 0)
        .getSucceeded()).isTrue();
    assertThat(store.txn(TxnRequest.newBuilder().addCompare(Compare.newBuilder().setKey(b("none"))
        .setTarget(CompareTarget.VALUE).setResult(CompareResult.NOT_EQUAL).setValue(b("x"))).build(), 0)
        .getSucceeded()).isFalse();
  }

  private boolean cmp(Compare.Builder c, CompareResult result) {
    return store.txn(TxnRequest.newBuilder().addCompare(c.setKey(b("k")).setResult(result)).build(), 0)
        .getSucceeded();
  }

  @Test
  void rangeCompareMustHoldForEveryKey() {
    store.put(put("p/1", "x"), 0);
    store.put(put("p/2", "x"), 0);
    store.put(put("p/3", "y"), 0);
    Compare allX = cmpValue("p/", CompareResult.EQUAL, "x").toBuilder().setRangeEnd(b("p0")).build();
    assertThat(store.txn(TxnRequest.newBuilder().addCompare(allX).build(), 0).getSucceeded()).isFalse();
    Compare to3 = allX.toBuilder().setRangeEnd(b("p/3")).build();
    assertThat(store.txn(TxnRequest.newBuilder().addCompare(to3).build(), 0).getSucceeded()).isTrue();
    Compare versions = cmpVersion("p/", CompareResult.GREATER, 0).toBuilder().setRangeEnd(b("\0")).build();
    assertThat(store.txn(TxnRequest.newBuilder().addCompare(versions).build(), 0).getSucceeded()).isTrue();
  }

  @Test
  void compareAndSwapAcrossBranches() {
    store.put(put("lock", "me"), 0);
    TxnRequest cas = TxnRequest.newBuilder()
        .addCompare(cmpValue("lock", CompareResult.EQUAL, "you"))
        .addSuccess(op(put("lock", "taken")))
        .addFailure(op(get("lock")))
        .addFailure(op(TxnRequest.newBuilder().addCompare(cmpVersion("lock", CompareResult.EQUAL, 1))
            .addSuccess(op(put("other", "v"))).addSuccess(op(del("lock"))).build()))
        .build();
    TxnResponse r = store.txn(cas, 0);
    assertThat(r.getSucceeded()).isFalse();
    assertThat(r.getResponses(0).getResponseRange().getKvs(0).getValue()).isEqualTo(b("me"));
    assertThat(r.getResponses(1).getResponseTxn().getSucceeded()).isTrue();
    assertThat(r.getResponses(1).getResponseTxn().getResponses(1).getResponseDeleteRange().getDeleted())
        .isEqualTo(1);
    assertThat(keys(store.range(range("\0", "\0")))).containsExactly("other");
    assertThat(store.currentRevision()).isEqualTo(3);
  }

  @Test
  void validationErrors() {
    TxnRequest.Builder big = TxnRequest.newBuilder();
    for (int i = 0; i < 129; i++) {
      big.addSuccess(op(put("k" + i, "v")));
    }
    assertError(() -> store.txn(big.build(), 0), EtcdError.TOO_MANY_OPS);
    assertError(() -> store.txn(TxnRequest.newBuilder().addSuccess(op(put("a", "1")))
        .addSuccess(op(put("a", "2"))).build(), 0), EtcdError.DUPLICATE_KEY);
    assertError(() -> store.txn(TxnRequest.newBuilder().addSuccess(op(put("a/b", "1")))
        .addSuccess(op(del("a/", "a0"))).build(), 0), EtcdError.DUPLICATE_KEY);
    assertError(() -> store.txn(TxnRequest.newBuilder().addSuccess(op(del("a")))
        .addSuccess(op(TxnRequest.newBuilder().addSuccess(op(put("a", "1"))).build())).build(), 0),
        EtcdError.DUPLICATE_KEY);
    assertError(() -> store.txn(TxnRequest.newBuilder().addSuccess(RequestOp.getDefaultInstance()).build(), 0),
        EtcdError.KEY_NOT_FOUND);
    assertError(() -> store.txn(TxnRequest.newBuilder().addCompare(Compare.getDefaultInstance()).build(), 0),
        EtcdError.EMPTY_KEY);
    // then/else of one nested txn may put the same key
    TxnResponse ok = store.txn(TxnRequest.newBuilder().addSuccess(op(TxnRequest.newBuilder()
        .addSuccess(op(put("a", "1"))).addFailure(op(put("a", "2"))).build())).build(), 0);
    assertThat(ok.getSucceeded()).isTrue();
    // deleting "from key" ("\0" end) does not conflict with a put, as in etcd
    ok = store.txn(TxnRequest.newBuilder().addSuccess(op(del("b", "\0"))).addSuccess(op(put("c", "1")))
        .build(), 0);
    assertThat(ok.getSucceeded()).isTrue();
    assertThat(store.currentRevision()).isEqualTo(3);
  }
}
