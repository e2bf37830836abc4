package io.keel.watch;

import com.google.protobuf.ByteString;
import java.util.function.Consumer;

/**
 * The index's entries (a lone {@link Watcher} stored inline, or a {@link WatcherIndex.Group} of several) keyed
 * by the key they watch, which the entry itself holds: an open-addressing table (linear probing, backward-shift
 * deletion) with no per-entry node, so a watcher on its own key costs one array slot here instead of a
 * {@code HashMap} node plus a group object. Dispatcher thread only.
 */
final class KeyTable {
  private static final int MIN_CAPACITY = 16;

  private Object[] slots = new Object[MIN_CAPACITY];
  private int size;

  int size() {
    return size;
  }

  /** The entry's key: the watcher's (single key or prefix) or the group's. */
  static ByteString keyOf(Object entry) {
    return entry instanceof Watcher w ? w.key() : ((WatcherIndex.Group) entry).key();
  }

  Object get(ByteString key) {
    Object[] t = slots;
    int mask = t.length - 1;
    for (int i = index(key, mask); ; i = (i + 1) & mask) {
      Object e = t[i];
      if (e == null || keyOf(e).equals(key)) {
        return e;
      }
    }
  }

  /** Inserts {@code entry}, replacing the entry with the same key if there is one. */
  void put(Object entry) {
    if ((size + 1) * 4L > slots.length * 3L) {
      resize(slots.length * 2);
    }
    ByteString key = keyOf(entry);
    Object[] t = slots;
    int mask = t.length - 1;
    int i = index(key, mask);
    while (t[i] != null) {
      if (keyOf(t[i]).equals(key)) {
        t[i] = entry;
        return;
      }
      i = (i + 1) & mask;
    }
    t[i] = entry;
    size++;
  }

  /** Removes the entry for {@code key}; returns it or null. */
  Object remove(ByteString key) {
    Object[] t = slots;
    int mask = t.length - 1;
    int i = index(key, mask);
    while (t[i] != null && !keyOf(t[i]).equals(key)) {
      i = (i + 1) & mask;
    }
    Object removed = t[i];
    if (removed == null) {
      return null;
    }
    int hole = i;
    for (int j = (hole + 1) & mask; t[j] != null; j = (j + 1) & mask) {
      int home = index(keyOf(t[j]), mask);
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

  void forEach(Consumer<Object> each) {
    for (Object e : slots) {
      if (e != null) {
        each.accept(e);
      }
    }
  }

  private void resize(int capacity) {
    Object[] old = slots;
    slots = new Object[Math.max(MIN_CAPACITY, capacity)];
    int mask = slots.length - 1;
    for (Object e : old) {
      if (e != null) {
        int i = index(keyOf(e), mask);
        while (slots[i] != null) {
          i = (i + 1) & mask;
        }
        slots[i] = e;
      }
    }
  }

  private static int index(ByteString key, int mask) {
    int h = key.hashCode() * 0x9E3779B9; // ByteString caches its hash; spread it over the low bits
    return (h ^ (h >>> 16)) & mask;
  }
}
