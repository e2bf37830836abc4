package io.keel.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.mvccpb.KeyValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The put path reads no previous value unless the request needs it (prev_kv, ignore_value, ignore_lease): random
 * puts (with and without leases and ignore flags), deletes, delete ranges, txns, lease grants and revokes, group
 * apply, compactions and reopens, checked after every step against a reference that reads the previous value the slow way (a
 * range of the key before the write): the written KeyValue's create_revision, version, value and lease, the
 * response's prev_kv, deleted counts, and the lease table's key attachments (which follow the table's own record
 * of each key's lease instead of the events' prev_kv) against the leases of the live keys — also after reopen.
 */
class PutFastPathPropertyTest {
  private static final String[] KEYS = {"a", "a/1", "a/2", "b", "c", "d/x", "d/y"};
  private static final long[] LEASES = {0, 7, 8, 9};

  @Property(tries = 30)
  void putsMatchTheReadPreviousReference(@ForAll long seed) throws IOException {
    Random r = new Random(seed);
    Path dir = Files.createTempDirectory("kvfast");
    MvccStore s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    long index = 0;
    try {
      for (long id : new long[] {7, 8, 9}) {
        s.leaseGrant(id, 60, ++index);
      }
      int steps = 60 + r.nextInt(60);
      for (int step = 0; step < steps; step++) {
        int kind = r.nextInt(100);
        boolean group = r.nextInt(4) == 0;
        if (group && kind < 70) {
          s.beginGroup();
        }
        try {
          if (kind < 45) {
            put(s, r, ++index);
          } else if (kind < 55) {
            ByteString k = key(r);
            ByteString end = r.nextBoolean() ? ByteString.EMPTY : ByteString.copyFromUtf8(KEYS[r.nextInt(KEYS.length)]);
            boolean prevKv = r.nextBoolean();
            List<KeyValue> before = liveIn(s, k, end);
            var resp = s.deleteRange(DeleteRangeRequest.newBuilder().setKey(k).setRangeEnd(end).setPrevKv(prevKv)
                .build(), ++index);
            assertThat(resp.getDeleted()).isEqualTo(before.size());
            assertThat(resp.getPrevKvsList()).isEqualTo(prevKv ? before : List.of());
          } else if (kind < 70) {
            txn(s, r, ++index);
          } else if (kind < 78) {
            long id = LEASES[1 + r.nextInt(3)];
            if (s.leases().exists(id)) {
              s.leaseRevoke(id, ++index);
            } else {
              s.leaseGrant(id, 60, ++index);
            }
          } else if (kind < 83) {
            s.close();
            s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
          } else if (kind < 92) {
            // compaction packs multi-revision keys into the short {created, ver, main, sub} record form
            long from = Math.max(1, s.compactRevision() + 1);
            long cur = s.currentRevision();
            if (cur >= from) {
              long at = from + r.nextInt((int) (cur - from + 1));
              s.compact(io.keel.proto.etcdserverpb.CompactionRequest.newBuilder().setRevision(at).build(), ++index);
            }
          }
        } catch (EtcdException e) {
          // a put naming a revoked lease or ignore_* on an absent key: nothing changed (checked below)
          assertThat(e.error()).isIn(EtcdError.LEASE_NOT_FOUND, EtcdError.KEY_NOT_FOUND);
        } finally {
          if (s.inGroup()) {
            s.commitGroup();
          }
        }
        checkLeases(s);
      }
      s.close();
      s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
      checkLeases(s);
      s.index().checkInvariants();
    } finally {
      s.close();
      try (Stream<Path> w = Files.walk(dir)) {
        w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static ByteString key(Random r) {
    return ByteString.copyFromUtf8(KEYS[r.nextInt(KEYS.length)]);
  }

  private static PutRequest randomPut(Random r, ByteString k, String value) {
    PutRequest.Builder p = PutRequest.newBuilder().setKey(k).setPrevKv(r.nextBoolean());
    if (r.nextInt(5) == 0) {
      p.setIgnoreValue(true);
    } else {
      p.setValue(ByteString.copyFromUtf8(value));
    }
    if (r.nextInt(5) == 0) {
      p.setIgnoreLease(true);
    } else {
      p.setLease(LEASES[r.nextInt(LEASES.length)]);
    }
    return p.build();
  }

  /** The reference: what etcd's put writes, computed from the previous value read back from the store. */
  private static KeyValue expectedKv(PutRequest p, KeyValue prev, long rev) {
    return KeyValue.newBuilder().setKey(p.getKey())
        .setCreateRevision(prev == null ? rev : prev.getCreateRevision())
        .setModRevision(rev)
        .setVersion(prev == null ? 1 : prev.getVersion() + 1)
        .setValue(p.getIgnoreValue() ? prev.getValue() : p.getValue())
        .setLease(p.getIgnoreLease() ? prev.getLease() : p.getLease())
        .build();
  }

  private static void put(MvccStore s, Random r, long index) {
    ByteString k = key(r);
    PutRequest p = randomPut(r, k, "v" + index);
    s.flushGroup(); // the reference reads through range(), which sees only what is written
    KeyValue prev = get(s, k);
    long rev = s.currentRevision() + 1;
    var resp = s.put(p, index);
    s.flushGroup();
    assertThat(resp.hasPrevKv() ? resp.getPrevKv() : null).isEqualTo(p.getPrevKv() ? prev : null);
    assertThat(get(s, k)).isEqualTo(expectedKv(p, prev, rev));
  }

  /** A txn of puts on distinct keys plus a delete of another key; checked against values read before it. */
  private static void txn(MvccStore s, Random r, long index) {
    List<String> shuffled = new ArrayList<>(List.of(KEYS));
    java.util.Collections.shuffle(shuffled, r);
    int puts = 1 + r.nextInt(3);
    TxnRequest.Builder t = TxnRequest.newBuilder();
    List<PutRequest> ps = new ArrayList<>();
    for (int i = 0; i < puts; i++) {
      PutRequest p = randomPut(r, ByteString.copyFromUtf8(shuffled.get(i)), "t" + index);
      ps.add(p);
      t.addSuccess(RequestOp.newBuilder().setRequestPut(p));
    }
    ByteString delKey = ByteString.copyFromUtf8(shuffled.get(puts));
    t.addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(delKey)
        .setPrevKv(true)));
    s.flushGroup();
    Map<ByteString, KeyValue> before = new HashMap<>();
    for (PutRequest p : ps) {
      before.put(p.getKey(), get(s, p.getKey()));
    }
    KeyValue delPrev = get(s, delKey);
    long rev = s.currentRevision() + 1;
    var resp = s.txn(t.build(), index);
    s.flushGroup();
    for (int i = 0; i < puts; i++) {
      PutRequest p = ps.get(i);
      KeyValue prev = before.get(p.getKey());
      assertThat(resp.getResponses(i).getResponsePut().hasPrevKv() ? resp.getResponses(i).getResponsePut()
          .getPrevKv() : null).isEqualTo(p.getPrevKv() ? prev : null);
      assertThat(get(s, p.getKey())).isEqualTo(expectedKv(p, prev, rev));
    }
    var dr = resp.getResponses(puts).getResponseDeleteRange();
    assertThat(dr.getPrevKvsList()).isEqualTo(delPrev == null ? List.of() : List.of(delPrev));
    assertThat(get(s, delKey)).isNull();
  }

  private static KeyValue get(MvccStore s, ByteString k) {
    var resp = s.range(RangeRequest.newBuilder().setKey(k).build());
    return resp.getKvsCount() == 0 ? null : resp.getKvs(0);
  }

  private static List<KeyValue> liveIn(MvccStore s, ByteString k, ByteString end) {
    return s.range(RangeRequest.newBuilder().setKey(k).setRangeEnd(end).build()).getKvsList();
  }

  /** The lease table's attachments are exactly the leases of the live keys (for leases that exist). */
  private static void checkLeases(MvccStore s) {
    ByteString all = ByteString.copyFrom(new byte[] {0});
    Map<Long, List<ByteString>> expected = new TreeMap<>();
    for (KeyValue kv : s.range(RangeRequest.newBuilder().setKey(all).setRangeEnd(all).build()).getKvsList()) {
      assertThat(s.leases().leaseOf(kv.getKey())).as("lease of %s", kv.getKey().toStringUtf8())
          .isEqualTo(kv.getLease());
      if (kv.getLease() != 0) {
        assertThat(s.leases().exists(kv.getLease())).as("a live key's lease exists").isTrue();
        expected.computeIfAbsent(kv.getLease(), id -> new ArrayList<>()).add(kv.getKey());
      }
    }
    for (long id : LEASES) {
      if (id != 0) {
        assertThat(s.leases().keys(id)).as("keys of lease %d", id).isEqualTo(expected.getOrDefault(id, List.of()));
      }
    }
    for (String k : KEYS) {
      ByteString key = ByteString.copyFromUtf8(k);
      if (get(s, key) == null) {
        assertThat(s.leases().leaseOf(key)).as("deleted key %s has no lease", k).isZero();
      }
    }
  }
}
