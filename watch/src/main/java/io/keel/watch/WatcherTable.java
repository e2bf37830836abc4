package io.keel.watch;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One stream's watchers by watch id: an open-addressing table (linear probing, backward-shift deletion) of the
 * watchers themselves, keyed by {@link Watcher#id}. Replaces a {@code HashMap<Long, Watcher>}, whose boxed key
 * and node cost ~50 bytes per watcher; this costs one array slot (4-8 bytes at the load factor below).
 * Dispatcher thread only.
 */
final class WatcherTable {
  private static final int MIN_CAPACITY = 8;

  private Watcher[] slots = new Watcher[MIN_CAPACITY];
  private int size;

  int size() {
    return size;
  }

  boolean containsKey(long id) {
    return get(id) != null;
  }

  Watcher get(long id) {
    Watcher[] t = slots;
    int mask = t.length - 1;
    for (int i = index(id, mask); ; i = (i + 1) & mask) {
      Watcher w = t[i];
      if (w == null || w.id == id) {
        return w;
      }
    }
  }

  /** Adds a watcher whose id is not present yet. */
  void add(Watcher w) {
    if ((size + 1) * 4L > slots.length * 3L) {
      resize(slots.length * 2);
    }
    Watcher[] t = slots;
    int mask = t.length - 1;
    int i = index(w.id, mask);
    while (t[i] != null) {
      if (t[i].id == w.id) {
        throw new IllegalStateException("watch id " + w.id + " already present");
      }
      i = (i + 1) & mask;
    }
    t[i] = w;
    size++;
  }

  /** Removes the watcher with {@code id}; returns it or null. */
  Watcher remove(long id) {
    Watcher[] t = slots;
    int mask = t.length - 1;
    int i = index(id, mask);
    while (t[i] != null && t[i].id != id) {
      i = (i + 1) & mask;
    }
    Watcher removed = t[i];
    if (removed == null) {
      return null;
    }
    // backward-shift: move later entries of the probe run into the hole so lookups never stop early
    int hole = i;
    for (int j = (hole + 1) & mask; t[j] != null; j = (j + 1) & mask) {
      int home = index(t[j].id, mask);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        t[hole] = t[j];
        hole = j;
      }
    }
    t[hole] = null;
    size--;
    if (slots.length > MIN_CAPACITY && size * 8L < slots.length) {
      resize(slots.length / 2);
    }
    return removed;
  }

  void forEach(Consumer<Watcher> each) {
    for (Watcher w : slots) {
      if (w != null) {
        each.accept(w);
      }
    }
  }

  /** A copy of the watchers, safe to iterate while removing. */
  List<Watcher> toList() {
    List<Watcher> out = new ArrayList<>(size);
    forEach(out::add);
    return out;
  }

  private void resize(int capacity) {
    Watcher[] old = slots;
    slots = new Watcher[Math.max(MIN_CAPACITY, capacity)];
    int mask = slots.length - 1;
    for (Watcher w : old) {
      if (w != null) {
        int i = index(w.id, mask);
        while (slots[i] != null) {
          i = (i + 1) & mask;
        }
        slots[i] = w;
      }
    }
  }

  private static int index(long id, int mask) {
    long h = id * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
