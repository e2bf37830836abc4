package io.keel.watch;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Watchers by the keys they observe, so a revision's fan-out touches only matching watchers: single keys in a
 * hash map, prefixes in a hash map probed once per distinct prefix length present (Kubernetes-style watches
 * are prefixes), arbitrary ranges and from-key watches in a list of distinct ranges (rare; scanned). Watchers
 * with the same range share one {@link Group}. Dispatcher thread only.
 */
final class WatcherIndex {
  /** Watchers sharing one range; members in an array with O(1) swap-removal. */
  static final class Group {
    final WatchRange range;
    Watcher[] members = new Watcher[2];
    int size;

    Group(WatchRange range) {
      this.range = range;
    }

    void add(Watcher w) {
      if (size == members.length) {
        members = Arrays.copyOf(members, size + (size >> 1) + 1);
      }
      w.slot = size;
      members[size++] = w;
    }

    void remove(Watcher w) {
      int s = w.slot;
      if (s < 0 || s >= size || members[s] != w) {
        throw new IllegalStateException("watcher " + w.id + " not at its slot " + s);
      }
      Watcher last = members[--size];
      members[s] = last;
      last.slot = s;
      members[size] = null;
      w.slot = -1;
      if (size < members.length / 4 && members.length > 8) {
        members = Arrays.copyOf(members, Math.max(2, size * 2));
      }
    }
  }

  private final Map<ByteString, Group> keys = new HashMap<>();
  private final Map<ByteString, Group> prefixes = new HashMap<>();
  /** Distinct prefix lengths present, with how many prefix groups have each. */
  private final TreeMap<Integer, Integer> prefixLengths = new TreeMap<>();
  private int[] prefixLengthArray = new int[0];
  private final Map<WatchRange, Group> others = new HashMap<>();
  private final List<Group> otherList = new ArrayList<>();
  private int watchers;

  /** Adds the watcher to the group for {@code range} (creating it); sets {@code w.group}. */
  void add(Watcher w, WatchRange range) {
    Group g = switch (range.kind()) {
      case SINGLE -> keys.computeIfAbsent(range.key(), k -> new Group(range));
      case PREFIX -> prefixes.computeIfAbsent(range.key(), k -> {
        prefixLengths.merge(k.size(), 1, Integer::sum);
        refreshLengths();
        return new Group(range);
      });
      default -> others.computeIfAbsent(range, r -> {
        Group ng = new Group(r);
        otherList.add(ng);
        return ng;
      });
    };
    w.group = g;
    g.add(w);
    watchers++;
  }

  void remove(Watcher w) {
    Group g = w.group;
    g.remove(w);
    watchers--;
    if (g.size > 0) {
      return;
    }
    WatchRange r = g.range;
    switch (r.kind()) {
      case SINGLE -> keys.remove(r.key());
      case PREFIX -> {
        prefixes.remove(r.key());
        prefixLengths.merge(r.key().size(), -1, (a, b) -> a + b == 0 ? null : a + b);
        refreshLengths();
      }
      default -> {
        others.remove(r);
        otherList.remove(g);
      }
    }
  }

  private void refreshLengths() {
    prefixLengthArray = prefixLengths.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  int size() {
    return watchers;
  }

  /** Calls {@code each} for every watcher whose range contains {@code key}. */
  void forEachMatch(ByteString key, Consumer<Watcher> each) {
    Group g = keys.get(key);
    if (g != null) {
      visit(g, each);
    }
    for (int len : prefixLengthArray) {
      if (len > key.size()) {
        break;
      }
      Group p = prefixes.get(key.substring(0, len));
      if (p != null) {
        visit(p, each);
      }
    }
    for (int i = 0; i < otherList.size(); i++) {
      Group o = otherList.get(i);
      if (o.range.contains(key)) {
        visit(o, each);
      }
    }
  }

  private static void visit(Group g, Consumer<Watcher> each) {
    // iterate over a stable view: callbacks may move the watcher to another index (never this group's array)
    Watcher[] m = g.members;
    for (int i = 0, n = g.size; i < n; i++) {
      each.accept(m[i]);
    }
  }

  /** Every watcher (for whole-index transitions such as a snapshot install). */
  List<Watcher> all() {
    List<Watcher> out = new ArrayList<>(watchers);
    for (Group g : keys.values()) {
      out.addAll(Arrays.asList(g.members).subList(0, g.size));
    }
    for (Group g : prefixes.values()) {
      out.addAll(Arrays.asList(g.members).subList(0, g.size));
    }
    for (Group g : otherList) {
      out.addAll(Arrays.asList(g.members).subList(0, g.size));
    }
    return out;
  }
}
