package io.keel.kvstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Random operation sequences (puts, deletes, delete ranges, txns, compactions, reopens) against a plain
 * in-memory model of etcd's semantics: after every step, every range at every readable revision, the
 * current revision and the emitted events must match the model.
 */
class ModelPropertyTest {
  private static final String[] KEYS = {"a", "a/1", "a/2", "b", "b/x", "c", "d\u0000", "\u00ff"};

  /** The model: every revision of every key, never forgotten; compaction only limits what may be read. */
  static final class Model {
    final TreeMap<ByteString, List<KeyValue>> history = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    long rev = 1;
    long compactRev = -1;
    long nextSub;
    final List<Event> pendingEvents = new ArrayList<>();

    KeyValue at(ByteString key, long atRev) {
      List<KeyValue> h = history.get(key);
      if (h == null) {
        return null;
      }
      KeyValue found = null;
      for (KeyValue kv : h) {
        if (kv.getModRevision() <= atRev) {
          found = kv;
        }
      }
      return found == null || found.getCreateRevision() == 0 ? null : found; // create 0 = tombstone
    }

    List<KeyValue> range(ByteString key, ByteString end, long atRev) {
      List<KeyValue> out = new ArrayList<>();
      for (ByteString k : history.keySet()) {
        if (inRange(k, key, end)) {
          KeyValue kv = at(k, atRev);
          if (kv != null) {
            out.add(kv);
          }
        }
      }
      return out;
    }

    void put(ByteString key, ByteString value, long newRev) {
      KeyValue prev = at(key, rev);
      KeyValue kv = KeyValue.newBuilder().setKey(key).setValue(value).setModRevision(newRev)
          .setCreateRevision(prev == null ? newRev : prev.getCreateRevision())
          .setVersion(prev == null ? 1 : prev.getVersion() + 1).build();
      history.computeIfAbsent(key, k -> new ArrayList<>()).add(kv);
      pendingEvents.add(Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build()); // no prev_kv: on demand
    }

    int delete(ByteString key, ByteString end, long newRev) {
      List<KeyValue> live = range(key, end, rev);
      for (KeyValue prev : live) {
        KeyValue tomb = KeyValue.newBuilder().setKey(prev.getKey()).setModRevision(newRev).build();
        history.get(prev.getKey()).add(tomb);
        pendingEvents.add(Event.newBuilder().setType(Event.EventType.DELETE).setKv(tomb).build());
      }
      return live.size();
    }

    /** etcd's watch prev_kv for an event: the key's value at mod_revision - 1, none if compacted or absent. */
    Event withPrev(Event e) {
      long at = e.getKv().getModRevision() - 1;
      KeyValue prev = at < compactRev ? null : at(e.getKv().getKey(), at);
      return prev == null ? e : e.toBuilder().setPrevKv(prev).build();
    }
  }

  static boolean inRange(ByteString k, ByteString key, ByteString end) {
    Comparator<ByteString> c = ByteString.unsignedLexicographicalComparator();
    if (end.isEmpty()) {
      return k.equals(key);
    }
    if (end.size() == 1 && end.byteAt(0) == 0) {
      return c.compare(k, key) >= 0;
    }
    return c.compare(k, key) >= 0 && c.compare(k, end) < 0;
  }

  private static ByteString key(Random r) {
    return ByteString.copyFromUtf8(KEYS[r.nextInt(KEYS.length)]);
  }

  private static ByteString end(Random r, ByteString key) {
    switch (r.nextInt(4)) {
      case 0:
        return ByteString.EMPTY;
      case 1:
        return ByteString.copyFrom(new byte[] {0});
      case 2: {
        byte[] b = key.toByteArray();
        b[b.length - 1]++;
        return ByteString.copyFrom(b);
      }
      default:
        return key(r);
    }
  }

  @Property(tries = 40)
  void storeMatchesModel(@ForAll long seed) throws IOException {
    Random r = new Random(seed);
    Path dir = Files.createTempDirectory("kvmodel");
    Model m = new Model();
    List<Event> events = new ArrayList<>();
    List<Long> eventRevs = new ArrayList<>();
    MvccStore s = open(dir, events, eventRevs);
    try {
      int steps = 40 + r.nextInt(40);
      for (int step = 0; step < steps; step++) {
        int kind = r.nextInt(100);
        long newRev = m.rev + 1;
        m.pendingEvents.clear();
        if (kind < 40) {
          ByteString k = key(r);
          ByteString v = ByteString.copyFromUtf8("v" + r.nextInt(5));
          KeyValue prev = m.at(k, m.rev);
          boolean wantPrev = r.nextBoolean();
          boolean ignoreValue = r.nextInt(6) == 0;
          PutRequest.Builder p = PutRequest.newBuilder().setKey(k).setPrevKv(wantPrev);
          if (ignoreValue) {
            p.setIgnoreValue(true);
          } else {
            p.setValue(v);
          }
          if (ignoreValue && prev == null) {
            MvccStore cur = s;
            assertThatThrownBy(() -> cur.put(p.build(), 0)).isInstanceOf(EtcdException.class)
                .extracting(x -> ((EtcdException) x).error()).isEqualTo(EtcdError.KEY_NOT_FOUND);
          } else {
            var resp = s.put(p.build(), step + 1);
            m.put(k, ignoreValue ? prev.getValue() : v, newRev);
            m.rev = newRev;
            assertThat(resp.hasPrevKv() ? resp.getPrevKv() : null).isEqualTo(wantPrev ? prev : null);
          }
        } else if (kind < 55) {
          ByteString k = key(r);
          ByteString e = end(r, k);
          var resp = s.deleteRange(DeleteRangeRequest.newBuilder().setKey(k).setRangeEnd(e).build(), step + 1);
          int n = m.delete(k, e, newRev);
          if (n > 0) {
            m.rev = newRev;
          }
          assertThat(resp.getDeleted()).isEqualTo(n);
        } else if (kind < 75) {
          txn(r, s, m, step);
        } else if (kind < 83) {
          long target = r.nextInt((int) m.rev + 2);
          if (target <= m.compactRev || target > m.rev) {
            EtcdError expected = target <= m.compactRev ? EtcdError.COMPACTED : EtcdError.FUTURE_REV;
            MvccStore cur = s;
            assertThatThrownBy(() -> cur.compact(CompactionRequest.newBuilder().setRevision(target).build(), 0))
                .isInstanceOf(EtcdException.class).extracting(x -> ((EtcdException) x).error()).isEqualTo(expected);
          } else {
            s.compact(CompactionRequest.newBuilder().setRevision(target).build(), 0);
            m.compactRev = target;
          }
        } else if (kind < 88) {
          s.close();
          s = open(dir, events, eventRevs);
        }
        if (!m.pendingEvents.isEmpty()) {
          assertThat(eventRevs.get(eventRevs.size() - 1)).isEqualTo(m.rev);
          assertThat(events.subList(events.size() - m.pendingEvents.size(), events.size()))
              .isEqualTo(m.pendingEvents);
        }
        check(s, m, r);
        checkHistory(s, m, events, eventRevs);
      }
      s.index().checkInvariants();
    } finally {
      s.close();
      try (Stream<Path> w = Files.walk(dir)) {
        w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static MvccStore open(Path dir, List<Event> events, List<Long> revs) {
    MvccStore s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    s.addListener((rev, evs) -> {
      for (int i = 0; i < evs.size(); i++) {
        revs.add(rev);
      }
      events.addAll(evs);
    });
    return s;
  }

  private static void txn(Random r, MvccStore s, Model m, int step) {
    ByteString ck = key(r);
    KeyValue cur = m.at(ck, m.rev);
    long version = r.nextBoolean() ? (cur == null ? 0 : cur.getVersion()) : r.nextInt(3);
    Compare cmp = Compare.newBuilder().setKey(ck).setTarget(Compare.CompareTarget.VERSION)
        .setResult(Compare.CompareResult.EQUAL).setVersion(version).build();
    boolean expected = (cur == null ? 0 : cur.getVersion()) == version;
    // success: puts on distinct keys, then a single-key delete of another key; failure: a range and a put
    List<String> shuffled = new ArrayList<>(List.of(KEYS));
    java.util.Collections.shuffle(shuffled, r);
    int puts = r.nextInt(3);
    TxnRequest.Builder t = TxnRequest.newBuilder().addCompare(cmp);
    for (int i = 0; i < puts; i++) {
      t.addSuccess(Kv.op(Kv.put(shuffled.get(i), "t" + step)));
    }
    ByteString delKey = ByteString.copyFromUtf8(shuffled.get(puts));
    t.addSuccess(Kv.op(DeleteRangeRequest.newBuilder().setKey(delKey).build()));
    t.addSuccess(Kv.op(RangeRequest.newBuilder().setKey(ByteString.copyFrom(new byte[] {0}))
        .setRangeEnd(ByteString.copyFrom(new byte[] {0})).build()));
    ByteString failKey = key(r);
    t.addFailure(Kv.op(RangeRequest.newBuilder().setKey(failKey).build()));
    t.addFailure(Kv.op(PutRequest.newBuilder().setKey(failKey).setValue(ByteString.copyFromUtf8("f")).build()));
    TxnResponse resp = s.txn(t.build(), step + 1);
    assertThat(resp.getSucceeded()).isEqualTo(expected);
    long newRev = m.rev + 1;
    if (expected) {
      for (int i = 0; i < puts; i++) {
        m.put(ByteString.copyFromUtf8(shuffled.get(i)), ByteString.copyFromUtf8("t" + step), newRev);
      }
      m.delete(delKey, ByteString.EMPTY, newRev);
      boolean changed = !m.pendingEvents.isEmpty();
      long readRev = changed ? newRev : m.rev;
      RangeResponse all = resp.getResponses(puts + 1).getResponseRange();
      // the txn's own range sees its writes
      Model view = m;
      long saved = view.rev;
      view.rev = readRev;
      assertThat(all.getKvsList()).isEqualTo(view.range(ByteString.copyFrom(new byte[] {0}),
          ByteString.copyFrom(new byte[] {0}), readRev));
      view.rev = saved;
      if (changed) {
        m.rev = newRev;
      }
    } else {
      assertThat(resp.getResponses(0).getResponseRange().getKvsList())
          .isEqualTo(m.range(failKey, ByteString.EMPTY, m.rev));
      m.put(failKey, ByteString.copyFromUtf8("f"), newRev);
      m.rev = newRev;
    }
    assertThat(resp.getHeader().getRevision()).isEqualTo(m.rev);
  }

  /** History read back through events() equals what listeners saw, from just after the compact revision. */
  private static void checkHistory(MvccStore s, Model m, List<Event> events, List<Long> eventRevs) {
    long from = Math.max(2, m.compactRev + 1);
    List<Event> expected = new ArrayList<>();
    List<Event> expectedPlain = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      if (eventRevs.get(i) >= from) {
        assertThat(events.get(i).hasPrevKv()).as("live events carry no prev_kv").isFalse();
        Event withPrev = m.withPrev(events.get(i));
        expected.add(withPrev);
        expectedPlain.add(events.get(i));
        // the live path's on-demand read (watchers with prev_kv) gives what the catch-up read gives
        assertThat(s.withPrevKv(events.get(i))).isEqualTo(withPrev);
      }
    }
    assertThat(s.events(from, Long.MAX_VALUE, true, Integer.MAX_VALUE)).isEqualTo(expected);
    assertThat(s.events(from, Long.MAX_VALUE, false, Integer.MAX_VALUE)).isEqualTo(expectedPlain);
  }

  private static void check(MvccStore s, Model m, Random r) {
    assertThat(s.currentRevision()).isEqualTo(m.rev);
    assertThat(s.compactRevision()).isEqualTo(m.compactRev);
    ByteString all = ByteString.copyFrom(new byte[] {0});
    for (long rev = Math.max(1, m.compactRev); rev <= m.rev; rev++) {
      RangeResponse resp = s.range(RangeRequest.newBuilder().setKey(all).setRangeEnd(all).setRevision(rev).build());
      assertThat(resp.getKvsList()).as("all keys at %d", rev).isEqualTo(m.range(all, all, rev));
      assertThat(resp.getHeader().getRevision()).isEqualTo(m.rev);
    }
    if (m.compactRev > 1) {
      long bad = 1 + r.nextInt((int) m.compactRev - 1);
      assertThatThrownBy(() -> s.range(RangeRequest.newBuilder().setKey(all).setRangeEnd(all).setRevision(bad)
          .build())).isInstanceOf(EtcdException.class);
    }
    ByteString k = key(r);
    ByteString e = end(r, k);
    long rev = Math.max(1, m.compactRev) + r.nextInt((int) (m.rev - Math.max(1, m.compactRev) + 1));
    int limit = r.nextInt(3);
    List<KeyValue> expected = m.range(k, e, rev);
    RangeResponse resp = s.range(RangeRequest.newBuilder().setKey(k).setRangeEnd(e).setRevision(rev)
        .setLimit(limit).build());
    assertThat(resp.getCount()).isEqualTo(expected.size());
    List<KeyValue> limited = limit > 0 && expected.size() > limit ? expected.subList(0, limit) : expected;
    assertThat(resp.getKvsList()).isEqualTo(limited);
    assertThat(resp.getMore()).isEqualTo(limited.size() < expected.size());
  }
}
