package io.keel.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The index and the per-stream id table against brute force, over many seeds: random adds and removes of
 * single-key, prefix, range and from-key watchers (many sharing a key, so entries flip between inline and
 * grouped), checking after every step that each probe key matches exactly the watchers whose range contains it
 * and that the id table holds exactly the live watchers.
 */
class WatcherIndexTest {
  private static final String[] KEYS = {"a", "ab", "abc", "abd", "b", "ba", "c", "\u00ff", "\u00ff\u00ff"};

  @Test
  void matchesBruteForceOverManySeeds() {
    for (long seed = 1; seed <= 60; seed++) {
      runSeed(seed);
    }
  }

  private static void runSeed(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    WatcherIndex index = new WatcherIndex();
    WatcherTable table = new WatcherTable();
    Map<Long, Watcher> byId = new HashMap<>();
    List<Watcher> live = new ArrayList<>();
    Map<Watcher, WatchRange> ranges = new IdentityHashMap<>();
    long nextId = 0;
    for (int step = 0; step < 400; step++) {
      if (live.isEmpty() || rnd.nextInt(100) < 60) {
        WatchRange r = randomRange(rnd);
        long id = rnd.nextInt(4) == 0 ? rnd.nextLong() : nextId++;
        if (byId.containsKey(id)) {
          continue;
        }
        Watcher w = new Watcher(id, null, 1, 0, r);
        index.add(w);
        table.add(w);
        byId.put(id, w);
        live.add(w);
        ranges.put(w, r);
      } else {
        Watcher w = live.remove(rnd.nextInt(live.size()));
        index.remove(w);
        assertThat(table.remove(w.id)).isSameAs(w);
        assertThat(table.remove(w.id)).isNull();
        byId.remove(w.id);
        ranges.remove(w);
      }
      assertThat(index.size()).isEqualTo(live.size());
      assertThat(table.size()).isEqualTo(live.size());
      for (Map.Entry<Long, Watcher> e : byId.entrySet()) {
        if (table.get(e.getKey()) != e.getValue()) {
          throw new AssertionError("seed " + seed + " step " + step + ": id table lost watch " + e.getKey());
        }
      }
      assertThat(table.get(-12345678901L)).isNull();
      Set<Watcher> all = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
      all.addAll(index.all());
      assertThat(all).hasSize(live.size()).containsAll(live);
      for (String k : KEYS) {
        ByteString key = ByteString.copyFromUtf8(k);
        List<Watcher> got = new ArrayList<>();
        index.forEachMatch(key, got::add);
        Set<Watcher> expected = new HashSet<>();
        for (Watcher w : live) {
          if (ranges.get(w).contains(key)) {
            expected.add(w);
          }
          // the watcher's own view of its range agrees with what it asked for
          if (!w.key().equals(ranges.get(w).key()) || w.kind() != ranges.get(w).kind()) {
            throw new AssertionError("seed " + seed + ": watcher " + w.id + " changed its range");
          }
        }
        if (got.size() != expected.size() || !new HashSet<>(got).equals(expected)) {
          throw new AssertionError("seed " + seed + " step " + step + " key " + k + ": matched " + got.size()
              + " watchers, expected " + expected.size());
        }
      }
    }
    for (Watcher w : new ArrayList<>(live)) {
      index.remove(w);
      table.remove(w.id);
    }
    assertThat(index.size()).isZero();
    assertThat(index.all()).isEmpty();
    assertThat(table.size()).isZero();
  }

  private static WatchRange randomRange(SplittableRandom rnd) {
    ByteString key = ByteString.copyFromUtf8(KEYS[rnd.nextInt(KEYS.length)]);
    return switch (rnd.nextInt(4)) {
      case 0, 1 -> WatchRange.of(key, ByteString.EMPTY);
      case 2 -> WatchRange.of(key, WatchRange.prefixEnd(key));
      default -> rnd.nextBoolean() ? WatchRange.of(key, ByteString.copyFrom(new byte[] {0}))
          : WatchRange.of(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("b"));
    };
  }

  @Test
  void watchersOfOneKeyShareTheKeyObjectAndALoneWatcherHasNoGroup() {
    WatcherIndex index = new WatcherIndex();
    Watcher a = new Watcher(1, null, 1, 0, WatchRange.of(ByteString.copyFromUtf8("/k"), ByteString.EMPTY));
    Watcher b = new Watcher(2, null, 1, 0, WatchRange.of(ByteString.copyFromUtf8("/k"), ByteString.EMPTY));
    index.add(a);
    assertThat(a.slot).isEqualTo(-1);
    index.add(b);
    assertThat(b.range).isSameAs(a.range);
    assertThat(a.slot).isGreaterThanOrEqualTo(0);
    index.remove(a);
    assertThat(b.slot).isEqualTo(-1);
  }
}
