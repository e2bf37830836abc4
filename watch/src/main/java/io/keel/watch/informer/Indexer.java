package io.keel.watch.informer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The informer's local cache: objects by key plus optional secondary indexes (index name → function from
 * object to index values). Written only by the informer's thread; read by any thread.
 */
public final class Indexer<T> {
  /** A cached object and the revision that last modified it. */
  public record Entry<T>(String key, T object, long modRevision) {
  }

  private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
  private final TreeMap<String, Entry<T>> byKey = new TreeMap<>();
  private final Map<String, Function<T, Collection<String>>> indexFunctions;
  /** index name → index value → keys. */
  private final Map<String, Map<String, Set<String>>> indexes = new HashMap<>();
  /** key → index name → the values it was indexed under (so removal never re-runs index functions). */
  private final Map<String, Map<String, Collection<String>>> indexedValues = new HashMap<>();

  Indexer(Map<String, Function<T, Collection<String>>> indexFunctions) {
    this.indexFunctions = Map.copyOf(indexFunctions);
    for (String name : this.indexFunctions.keySet()) {
      indexes.put(name, new HashMap<>());
    }
  }

  public T get(String key) {
    Entry<T> e = entry(key);
    return e == null ? null : e.object();
  }

  public Entry<T> entry(String key) {
    rw.readLock().lock();
    try {
      return byKey.get(key);
    } finally {
      rw.readLock().unlock();
    }
  }

  /** All keys, sorted. */
  public List<String> keys() {
    rw.readLock().lock();
    try {
      return new ArrayList<>(byKey.keySet());
    } finally {
      rw.readLock().unlock();
    }
  }

  /** All entries, sorted by key. */
  public List<Entry<T>> entries() {
    rw.readLock().lock();
    try {
      return new ArrayList<>(byKey.values());
    } finally {
      rw.readLock().unlock();
    }
  }

  public List<T> list() {
    rw.readLock().lock();
    try {
      List<T> out = new ArrayList<>(byKey.size());
      byKey.values().forEach(e -> out.add(e.object()));
      return out;
    } finally {
      rw.readLock().unlock();
    }
  }

  public int size() {
    rw.readLock().lock();
    try {
      return byKey.size();
    } finally {
      rw.readLock().unlock();
    }
  }

  /** Objects whose index {@code indexName} contains {@code value}, sorted by key. */
  public List<T> byIndex(String indexName, String value) {
    rw.readLock().lock();
    try {
      Map<String, Set<String>> index = indexes.get(indexName);
      if (index == null) {
        throw new IllegalArgumentException("no index named " + indexName + "; have " + indexes.keySet());
      }
      Set<String> keys = index.getOrDefault(value, Set.of());
      List<String> sorted = new ArrayList<>(keys);
      sorted.sort(null);
      List<T> out = new ArrayList<>(sorted.size());
      for (String k : sorted) {
        out.add(byKey.get(k).object());
      }
      return out;
    } finally {
      rw.readLock().unlock();
    }
  }

  /** Stores {@code object}; returns the previous entry or null. Informer thread only. */
  Entry<T> put(String key, T object, long modRevision) {
    Objects.requireNonNull(object, "decoder returned null for " + key);
    // Index values first: an index function that throws leaves the cache untouched.
    Map<String, Collection<String>> newValues = new HashMap<>();
    for (Map.Entry<String, Function<T, Collection<String>>> f : indexFunctions.entrySet()) {
      newValues.put(f.getKey(), List.copyOf(values(f.getValue(), object)));
    }
    rw.writeLock().lock();
    try {
      Entry<T> prev = byKey.put(key, new Entry<>(key, object, modRevision));
      if (prev != null) {
        unindex(prev);
      }
      if (!newValues.isEmpty()) {
        indexedValues.put(key, newValues);
      }
      for (Map.Entry<String, Collection<String>> nv : newValues.entrySet()) {
        Map<String, Set<String>> index = indexes.get(nv.getKey());
        for (String v : nv.getValue()) {
          index.computeIfAbsent(v, x -> new HashSet<>()).add(key);
        }
      }
      return prev;
    } finally {
      rw.writeLock().unlock();
    }
  }

  /** Removes {@code key}; returns the removed entry or null. Informer thread only. */
  Entry<T> remove(String key) {
    rw.writeLock().lock();
    try {
      Entry<T> prev = byKey.remove(key);
      if (prev != null) {
        unindex(prev);
      }
      return prev;
    } finally {
      rw.writeLock().unlock();
    }
  }

  private void unindex(Entry<T> e) {
    Map<String, Collection<String>> old = indexedValues.remove(e.key());
    if (old == null) {
      return;
    }
    for (Map.Entry<String, Collection<String>> ov : old.entrySet()) {
      Map<String, Set<String>> index = indexes.get(ov.getKey());
      for (String v : ov.getValue()) {
        Set<String> keys = index.get(v);
        if (keys != null) {
          keys.remove(e.key());
          if (keys.isEmpty()) {
            index.remove(v);
          }
        }
      }
    }
  }

  private static <T> Collection<String> values(Function<T, Collection<String>> f, T object) {
    Collection<String> v = f.apply(object);
    return v == null ? List.of() : v;
  }
}
