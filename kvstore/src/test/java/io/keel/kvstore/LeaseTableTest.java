package io.keel.kvstore;

import static io.keel.kvstore.Kv.b;
import static io.keel.kvstore.Kv.del;
import static io.keel.kvstore.Kv.get;
import static io.keel.kvstore.Kv.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases in the store: grant/revoke persisted with the applied index, attachments followed, rebuilt on open. */
class LeaseTableTest {
  @TempDir Path dir;
  MvccStore store;
  long index;

  @BeforeEach
  void open() {
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
  }

  @AfterEach
  void close() {
    store.close();
  }

  void reopen() {
    store.close();
    open();
  }

  static PutRequest putLease(String k, long lease) {
    return put(k, "v").toBuilder().setLease(lease).build();
  }

  @Test
  void putWithUnknownLeaseFailsAndGrantedLeaseAttaches() {
    assertThatThrownBy(() -> store.put(putLease("a", 5), ++index)).isInstanceOf(EtcdException.class)
        .hasMessageContaining("etcdserver: requested lease not found");
    store.leaseGrant(5, 10, ++index);
    assertThat(store.appliedIndex()).isEqualTo(index);
    store.put(putLease("a", 5), ++index);
    store.put(putLease("b", 5), ++index);
    assertThat(store.leases().keys(5)).containsExactly(b("a"), b("b"));
    assertThat(store.leases().leaseOf(b("a"))).isEqualTo(5);
    assertThat(store.leases().get(5).ttlSeconds()).isEqualTo(10);
  }

  @Test
  void grantTwiceIsLeaseExistAndConsumesTheIndex() {
    store.leaseGrant(5, 10, ++index);
    assertThatThrownBy(() -> store.leaseGrant(5, 20, ++index)).isInstanceOf(EtcdException.class)
        .hasMessage("etcdserver: lease already exists");
    assertThat(store.appliedIndex()).isEqualTo(index);
    assertThat(store.leases().get(5).ttlSeconds()).isEqualTo(10);
  }

  @Test
  void revokeDeletesAllAttachedKeysInOneRevision() {
    store.leaseGrant(7, 10, ++index);
    for (String k : List.of("x", "y", "z")) {
      store.put(putLease(k, 7), ++index);
    }
    store.put(put("other", "v"), ++index);
    long before = store.currentRevision();
    long rev = store.leaseRevoke(7, ++index).getRevision();
    assertThat(rev).isEqualTo(before + 1);
    List<Event> evs = store.events(rev, rev, false, 100);
    assertThat(evs).hasSize(3).allSatisfy(e -> assertThat(e.getType()).isEqualTo(Event.EventType.DELETE));
    assertThat(evs.stream().map(e -> e.getKv().getKey().toStringUtf8())).containsExactly("x", "y", "z");
    assertThat(store.range(get("other")).getCount()).isEqualTo(1);
    assertThat(store.leases().exists(7)).isFalse();
    assertThat(store.appliedIndex()).isEqualTo(index);
    assertThatThrownBy(() -> store.leaseRevoke(7, ++index)).isInstanceOf(EtcdException.class)
        .hasMessage("etcdserver: requested lease not found");
    reopen();
    assertThat(store.leases().exists(7)).isFalse();
  }

  @Test
  void revokeOfALeaseWithoutKeysKeepsTheRevisionAndPersistsWithoutAnIndex() {
    store.leaseGrant(3, 10, 0);
    long rev = store.currentRevision();
    assertThat(store.leaseRevoke(3, 0).getRevision()).isEqualTo(rev);
    reopen();
    assertThat(store.leases().exists(3)).isFalse();
  }

  @Test
  void putsMoveKeysBetweenLeasesAndDeletesDetachThem() {
    store.leaseGrant(1, 10, ++index);
    store.leaseGrant(2, 10, ++index);
    store.put(putLease("a", 1), ++index);
    store.put(putLease("a", 2), ++index);
    assertThat(store.leases().keys(1)).isEmpty();
    assertThat(store.leases().keys(2)).containsExactly(b("a"));
    store.put(put("a", "no lease"), ++index);
    assertThat(store.leases().keys(2)).isEmpty();
    store.put(putLease("a", 2), ++index);
    store.put(put("a", "keep").toBuilder().setIgnoreLease(true).build(), ++index);
    assertThat(store.leases().keys(2)).containsExactly(b("a"));
    store.deleteRange(del("a"), ++index);
    assertThat(store.leases().keys(2)).isEmpty();
    store.txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestPut(putLease("t", 1))).build(),
        ++index);
    assertThat(store.leases().keys(1)).containsExactly(b("t"));
    assertThatThrownBy(() -> store.txn(TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setRequestPut(putLease("u", 99))).build(), ++index))
        .hasMessage("etcdserver: requested lease not found");
  }

  @Test
  void restartKeepsLeasesAndRebuildsAttachmentsFromTheKeys() {
    store.leaseGrant(11, 30, ++index);
    store.leaseGrant(12, 40, ++index);
    store.put(putLease("a", 11), ++index);
    store.put(putLease("b", 12), ++index);
    store.put(putLease("b", 11), ++index);
    store.put(putLease("c", 12), ++index);
    store.deleteRange(del("c"), ++index);
    reopen();
    assertThat(store.appliedIndex()).isEqualTo(index);
    assertThat(store.leases().all()).containsExactlyInAnyOrder(new LeaseTable.Lease(11, 30),
        new LeaseTable.Lease(12, 40));
    assertThat(store.leases().keys(11)).containsExactly(b("a"), b("b"));
    assertThat(store.leases().keys(12)).isEmpty();
    store.leaseRevoke(11, ++index);
    assertThat(store.range(Kv.range("a", "z")).getCount()).isZero();
  }

  @Test
  void checkpointsCarryLeasesAndARestoreReloadsThem() throws Exception {
    store.leaseGrant(21, 30, ++index);
    store.put(putLease("a", 21), ++index);
    Path cp = dir.resolveSibling(dir.getFileName() + "-cp");
    assertThat(store.checkpoint(cp)).isEqualTo(index);
    store.leaseRevoke(21, ++index);
    store.leaseGrant(22, 40, ++index);
    store.put(putLease("b", 22), ++index);
    store.restoreFrom(cp);
    assertThat(store.leases().all()).containsExactly(new LeaseTable.Lease(21, 30));
    assertThat(store.leases().keys(21)).containsExactly(b("a"));
    assertThat(store.leases().keys(22)).isEmpty();
    assertThat(store.leases().leaseOf(b("b"))).isZero();
    store.leaseRevoke(21, store.appliedIndex() + 1);
    assertThat(store.range(get("a")).getCount()).isZero();
  }

  /** Random grants, puts, deletes, revokes and reopens against a model of leases and attachments, many seeds. */
  @Test
  void matchesAModelOverManySeeds() {
    for (long seed = 1; seed <= 10; seed++) {
      Random rnd = new Random(seed);
      Map<Long, Long> leases = new HashMap<>(); // id -> ttl
      Map<String, Long> keys = new TreeMap<>(); // live key -> lease (0 = none)
      for (int step = 0; step < 120; step++) {
        int op = rnd.nextInt(10);
        long id = 1 + rnd.nextInt(6);
        String key = "k" + rnd.nextInt(12);
        if (op < 2) {
          if (leases.containsKey(id)) {
            long id2 = id;
            assertThatThrownBy(() -> store.leaseGrant(id2, 5, ++index)).hasMessage("etcdserver: lease already exists");
          } else {
            store.leaseGrant(id, 5 + id, ++index);
            leases.put(id, 5 + id);
          }
        } else if (op < 6) {
          long lease = rnd.nextBoolean() ? 0 : id;
          if (lease != 0 && !leases.containsKey(lease)) {
            assertThatThrownBy(() -> store.put(putLease(key, lease), ++index))
                .hasMessage("etcdserver: requested lease not found");
          } else {
            store.put(putLease(key, lease), ++index);
            keys.put(key, lease);
          }
        } else if (op < 8) {
          store.deleteRange(del(key), ++index);
          keys.remove(key);
        } else if (op < 9) {
          if (leases.remove(id) == null) {
            long id2 = id;
            assertThatThrownBy(() -> store.leaseRevoke(id2, ++index)).hasMessage("etcdserver: requested lease not found");
          } else {
            store.leaseRevoke(id, ++index);
            keys.values().removeIf(l -> l == id);
          }
        } else {
          reopen();
        }
        assertThat(store.appliedIndex()).isEqualTo(index);
        for (long l = 1; l <= 6; l++) {
          TreeSet<ByteString> want = new TreeSet<>(ByteString.unsignedLexicographicalComparator());
          long l2 = l;
          keys.forEach((k, v) -> {
            if (v == l2) {
              want.add(b(k));
            }
          });
          assertThat(store.leases().exists(l)).as("seed %d lease %d", seed, l).isEqualTo(leases.containsKey(l));
          assertThat(store.leases().keys(l)).as("seed %d lease %d keys", seed, l).containsExactlyElementsOf(want);
        }
        assertThat(store.range(Kv.range("k", "l")).getCount()).as("seed %d", seed).isEqualTo(keys.size());
      }
      for (long l : List.copyOf(leases.keySet())) {
        store.leaseRevoke(l, ++index);
      }
      store.deleteRange(Kv.del("k", "l"), ++index);
    }
  }
}
