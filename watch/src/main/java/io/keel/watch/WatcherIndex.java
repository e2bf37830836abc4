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
 * Watchers by the keys they observe, so a revision's fan-out touches only matching watchers: single keys in one
 * {@link KeyTable}, prefixes in another probed once per distinct prefix length present (Kubernetes-style
 * watches are prefixes), arbitrary ranges and from-key watches in a list of distinct ranges (rare; scanned).
 * A watcher alone on its key or prefix is stored inline in the table; two or more share a {@link Group}, which
 * turns back into the inline watcher when one is left. Dispatcher thread only.
 */
final class WatcherIndex {
  /** Watchers sharing one range; members in an array with O(1) swap-removal. */
  static final class Group {
    /** Same representation as {@link Watcher#range}; every member holds this very object. */
    final Object range;
    Watcher[] members = new Watcher[4];
    int size;

    Group(Object range) {
      this.range = range;
    }

    ByteString key() {
      return range instanceof ByteString k ? k : ((WatchRange) range).key();
    }

    void add(Watcher w) {
      if (size == members.length) {
        members = Arrays.copyOf(members, size + (size >> 1) + 1);
      }
      w.range = range;
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
        members = Arrays.copyOf(members, Math.max(4, size * 2));
      }
    }
  }

  private final KeyTable keys = new KeyTable();
  private final KeyTable prefixes = new KeyTable();
  /** Distinct prefix lengths present, with how many prefix entries have each. */
  private final TreeMap<Integer, Integer> prefixLengths = new TreeMap<>();
  private int[] prefixLengthArray = new int[0];
  private final Map<WatchRange, Group> others = new HashMap<>();
  private final List<Group> otherList = new ArrayList<>();
  private int watchers;

  /** Adds the watcher under its range; afterwards it shares the range object already indexed, if any. */
  void add(Watcher w) {
    switch (w.kind()) {
      case SINGLE -> addKeyed(keys, w);
      case PREFIX -> {
        if (addKeyed(prefixes, w)) {
          prefixLengths.merge(w.key().size(), 1, Integer::sum);
          refreshLengths();
        }
      }
      default -> others.computeIfAbsent((WatchRange) w.range, r -> {
        Group ng = new Group(r);
        otherList.add(ng);
        return ng;
      }).add(w);
    }
    watchers++;
  }

  /** True if the watcher got a new entry (no other watcher on its key). */
  private static boolean addKeyed(KeyTable t, Watcher w) {
    Object e = t.get(w.key());
    if (e == null) {
      w.slot = -1;
      t.put(w);
      return true;
    }
    Group g;
    if (e instanceof Watcher alone) {
      g = new Group(alone.range);
      g.add(alone);
      t.put(g); // replaces the inline watcher
    } else {
      g = (Group) e;
    }
    g.add(w);
    return false;
  }

  void remove(Watcher w) {
    switch (w.kind()) {
      case SINGLE -> removeKeyed(keys, w);
      case PREFIX -> {
        if (removeKeyed(prefixes, w)) {
          prefixLengths.merge(w.key().size(), -1, (a, b) -> a + b == 0 ? null : a + b);
          refreshLengths();
        }
      }
      default -> {
        Group g = others.get((WatchRange) w.range);
        if (g == null) {
          throw new IllegalStateException("watcher " + w.id + " has no group for " + w.range);
        }
        g.remove(w);
        if (g.size == 0) {
          others.remove(g.range);
          otherList.remove(g);
        }
      }
    }
    watchers--;
  }

  /** True if the key's entry is gone (this was its last watcher). */
  private static boolean removeKeyed(KeyTable t, Watcher w) {
    Object e = t.get(w.key());
    if (e == w) {
      t.remove(w.key());
      return true;
    }
    if (!(e instanceof Group g)) {
      throw new IllegalStateException("watcher " + w.id + " is not indexed under its key (found " + e + ")");
    }
    g.remove(w);
    if (g.size == 1) {
      Watcher last = g.members[0];
      last.slot = -1;
      t.put(last); // back inline: the group object goes away
    }
    return false;
  }

  private void refreshLengths() {
    prefixLengthArray = prefixLengths.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  int size() {
    return watchers;
  }

  /** Calls {@code each} for every watcher whose range contains {@code key}. */
  void forEachMatch(ByteString key, Consumer<Watcher> each) {
    if (keys.size() > 0) {
      visit(keys.get(key), each);
    }
    for (int len : prefixLengthArray) {
      if (len > key.size()) {
        break;
      }
      visit(prefixes.get(key.substring(0, len)), each);
    }
    for (int i = 0; i < otherList.size(); i++) {
      Group o = otherList.get(i);
      if (((WatchRange) o.range).contains(key)) {
        visit(o, each);
      }
    }
  }

  private static void visit(Object entry, Consumer<Watcher> each) {
    // callbacks must not add or remove watchers (the hub collects first and moves watchers afterwards)
    if (entry instanceof Watcher w) {
      each.accept(w);
    } else if (entry != null) {
      Group g = (Group) entry;
      Watcher[] m = g.members;
      for (int i = 0, n = g.size; i < n; i++) {
        each.accept(m[i]);
      }
    }
  }

  /** Every watcher (for whole-index transitions such as a snapshot install). */
  List<Watcher> all() {
    List<Watcher> out = new ArrayList<>(watchers);
    Consumer<Object> add = e -> visit(e, out::add);
    keys.forEach(add);
    prefixes.forEach(add);
    otherList.forEach(add);
    if (out.size() != watchers) {
      throw new IllegalStateException("index holds " + out.size() + " watchers but counts " + watchers);
    }
    return out;
  }
}
