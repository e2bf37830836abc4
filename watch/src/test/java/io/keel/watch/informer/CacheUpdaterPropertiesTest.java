package io.keel.watch.informer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Over many seeds: a random history of puts and deletes is fed to {@link CacheUpdater} as watch
 * responses (sometimes re-delivering old events, as a resumed stream could) with relists at random
 * points that skip part of the history (as after a compaction). A replica built only from the handler
 * calls (and progress notifications that overtake events) must stay consistent with them (no add of a
 * present key, no update or delete of an absent one,
 * old values match) and equal the cache and the store at the applied revision.
 */
class CacheUpdaterPropertiesTest {

  /** Applies handler calls to a map and fails on any call inconsistent with it. */
  private static final class Replica implements EventHandler<String> {
    final Map<String, String> state = new TreeMap<>();
    final List<String> errors = new ArrayList<>();

    @Override
    public void onAdd(String key, String object) {
      if (state.put(key, object) != null) {
        errors.add("add of present " + key);
      }
    }

    @Override
    public void onUpdate(String key, String oldObject, String newObject) {
      String prev = state.put(key, newObject);
      if (prev == null || !prev.equals(oldObject)) {
        errors.add("update of " + key + " with old " + oldObject + " but replica had " + prev);
      }
    }

    @Override
    public void onDelete(String key, String lastObject) {
      String prev = state.remove(key);
      if (prev == null || !prev.equals(lastObject)) {
        errors.add("delete of " + key + " with last " + lastObject + " but replica had " + prev);
      }
    }
  }

  private record Stored(String value, long modRevision) {
  }

  @Property(tries = 200)
  void handlerCallsReplicateTheStore(@ForAll long seed) {
    Random rnd = new Random(seed);
    Replica replica = new Replica();
    Indexer<String> cache = new Indexer<>(Map.of());
    InformerMetrics metrics = new InformerMetrics(new SimpleMeterRegistry(), "prop", cache::size);
    CacheUpdater<String> updater = new CacheUpdater<>("prop", (k, v) -> {
      if (v.toStringUtf8().equals("bad")) {
        throw new IllegalArgumentException("undecodable");
      }
      return v.toStringUtf8();
    }, cache, List.of(replica), metrics);

    Map<String, Stored> store = new TreeMap<>();
    List<Event> history = new ArrayList<>(); // history.get(i) happened at revision i + 2
    long rev = 1;
    int delivered = 0; // events of history already handed to the updater
    updater.replace(new Lister.Snapshot(List.of(), rev));
    for (int step = 0; step < 150; step++) {
      int op = rnd.nextInt(10);
      if (op < 6) {
        String key = "k" + rnd.nextInt(6);
        rev++;
        if (rnd.nextInt(4) == 0 && store.containsKey(key)) {
          store.remove(key);
          history.add(Event.newBuilder().setType(Event.EventType.DELETE)
              .setKv(KeyValue.newBuilder().setKey(ByteString.copyFromUtf8(key)).setModRevision(rev)).build());
        } else {
          String value = rnd.nextInt(12) == 0 ? "bad" : "v" + rev;
          store.put(key, new Stored(value, rev));
          history.add(Event.newBuilder().setType(Event.EventType.PUT).setKv(KeyValue.newBuilder()
              .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)).setModRevision(rev))
              .build());
        }
      } else if (op < 9) {
        if (delivered < history.size()) {
          int from = rnd.nextInt(4) == 0 ? Math.max(0, delivered - rnd.nextInt(3)) : delivered; // re-delivery
          int to = Math.min(history.size(), delivered + 1 + rnd.nextInt(3));
          updater.applyEvents(history.subList(from, to));
          delivered = to;
        }
      } else if (rnd.nextBoolean()) {
        // A progress notification, possibly overtaking undelivered events (etcd 3.4 can do that):
        // it must not make the updater drop them.
        updater.progress(rev);
        assertThat(updater.syncedRevision()).isEqualTo(rev);
      } else {
        List<KeyValue> kvs = new ArrayList<>();
        store.forEach((k, s) -> kvs.add(KeyValue.newBuilder().setKey(ByteString.copyFromUtf8(k))
            .setValue(ByteString.copyFromUtf8(s.value())).setModRevision(s.modRevision()).build()));
        updater.replace(new Lister.Snapshot(kvs, rev));
        delivered = history.size();
      }
      assertThat(replica.errors).as("seed " + seed + " step " + step).isEmpty();
      Map<String, String> expected = new TreeMap<>();
      Map<String, Stored> atApplied = storeAt(history, updater.appliedRevision());
      atApplied.forEach((k, s) -> {
        if (!s.value().equals("bad")) {
          expected.put(k, s.value());
        }
      });
      Map<String, String> cached = new TreeMap<>();
      cache.entries().forEach(e -> cached.put(e.key(), e.object()));
      assertThat(cached).as("seed " + seed + " step " + step).isEqualTo(expected);
      assertThat(replica.state).isEqualTo(expected);
    }
  }

  private static Map<String, Stored> storeAt(List<Event> history, long revision) {
    Map<String, Stored> s = new TreeMap<>();
    for (Event e : history) {
      if (e.getKv().getModRevision() > revision) {
        break;
      }
      String k = e.getKv().getKey().toStringUtf8();
      if (e.getType() == Event.EventType.DELETE) {
        s.remove(k);
      } else {
        s.put(k, new Stored(e.getKv().getValue().toStringUtf8(), e.getKv().getModRevision()));
      }
    }
    return s;
  }
}
