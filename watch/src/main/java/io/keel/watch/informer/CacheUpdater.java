package io.keel.watch.informer;

import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies lists and watch events to the {@link Indexer} and makes the matching handler calls, in order,
 * on the caller's (the informer's) thread. Owns the cache's writes and the applied revision.
 */
final class CacheUpdater<T> {
  private static final Logger log = LoggerFactory.getLogger(CacheUpdater.class);

  private final String name;
  private final Decoder<T> decoder;
  private final Indexer<T> cache;
  private final List<EventHandler<T>> handlers;
  private final InformerMetrics metrics;
  /** Revision of the last list or applied event: where a resumed watch starts (+ 1). */
  private long appliedRevision;
  /** Highest revision a progress notification reported. */
  private long progressRevision;

  CacheUpdater(String name, Decoder<T> decoder, Indexer<T> cache, List<EventHandler<T>> handlers,
      InformerMetrics metrics) {
    this.name = name;
    this.decoder = decoder;
    this.cache = cache;
    this.handlers = List.copyOf(handlers);
    this.metrics = metrics;
  }

  long appliedRevision() {
    return appliedRevision;
  }

  /**
   * Makes the cache equal to a full list at {@code snapshot.revision()}: deletes for keys that vanished,
   * adds for new keys, updates for keys whose mod revision changed. Unchanged keys make no call.
   */
  void replace(Lister.Snapshot snapshot) {
    if (snapshot.revision() < appliedRevision) {
      throw new IllegalStateException(name + ": list at revision " + snapshot.revision()
          + " is older than the cache (" + appliedRevision + ")");
    }
    Set<String> listed = new HashSet<>();
    for (KeyValue kv : snapshot.kvs()) {
      listed.add(kv.getKey().toStringUtf8());
    }
    for (String key : cache.keys()) {
      if (!listed.contains(key)) {
        Indexer.Entry<T> gone = cache.remove(key);
        deliverDelete(key, gone.object());
      }
    }
    for (KeyValue kv : snapshot.kvs()) {
      String key = kv.getKey().toStringUtf8();
      Indexer.Entry<T> cached = cache.entry(key);
      if (cached == null || cached.modRevision() != kv.getModRevision()) {
        applyPut(key, kv);
      }
    }
    setApplied(snapshot.revision());
  }

  /**
   * Applies one watch response's events (all events of a revision arrive in one response). Events at
   * or below the applied revision are duplicates and skipped; revisions must not go backwards.
   */
  void applyEvents(List<Event> events) {
    long maxRev = appliedRevision;
    for (Event ev : events) {
      KeyValue kv = ev.getKv();
      long rev = kv.getModRevision();
      if (rev <= appliedRevision) {
        metrics.duplicatesSkipped.increment();
        log.warn("{}: skipping event at revision {} <= applied {}", name, rev, appliedRevision);
        continue;
      }
      if (rev < maxRev) {
        throw new IllegalStateException(name + ": watch event revision went backwards: " + rev + " after " + maxRev);
      }
      maxRev = rev;
      String key = kv.getKey().toStringUtf8();
      if (ev.getType() == Event.EventType.DELETE) {
        Indexer.Entry<T> gone = cache.remove(key);
        if (gone != null) {
          deliverDelete(key, gone.object());
        }
      } else {
        applyPut(key, kv);
      }
    }
    setApplied(maxRev);
  }

  /**
   * A progress notification: nothing in range changed up to {@code revision}. It only raises the
   * reported {@link #syncedRevision}; dedup and resume keep using the last list/event revision, so a
   * notification that overtakes pending events (etcd 3.4's progress responses can) never drops them.
   */
  void progress(long revision) {
    if (revision > progressRevision) {
      progressRevision = revision;
      metrics.lastSyncRevision.set(syncedRevision());
    }
  }

  /** The revision the cache is known to reflect: last list or event, or a later progress notification. */
  long syncedRevision() {
    return Math.max(appliedRevision, progressRevision);
  }

  /** Re-delivers {@code onUpdate(o, o)} for every cached object. */
  void resync() {
    metrics.resyncs.increment();
    for (Indexer.Entry<T> e : cache.entries()) {
      for (EventHandler<T> h : handlers) {
        try {
          h.onUpdate(e.key(), e.object(), e.object());
        } catch (RuntimeException ex) {
          handlerFailed("onUpdate(resync)", e.key(), ex);
        }
      }
    }
  }

  private void applyPut(String key, KeyValue kv) {
    T obj;
    try {
      obj = decoder.decode(key, kv.getValue());
      if (obj == null) {
        throw new IllegalArgumentException("decoder returned null");
      }
    } catch (Exception e) {
      metrics.decodeErrors.increment();
      log.warn("{}: cannot decode {} at revision {}; treating it as absent: {}", name, key, kv.getModRevision(),
          e.toString());
      Indexer.Entry<T> gone = cache.remove(key);
      if (gone != null) {
        deliverDelete(key, gone.object());
      }
      return;
    }
    Indexer.Entry<T> prev = cache.put(key, obj, kv.getModRevision());
    if (prev == null) {
      metrics.adds.increment();
      for (EventHandler<T> h : handlers) {
        try {
          h.onAdd(key, obj);
        } catch (RuntimeException ex) {
          handlerFailed("onAdd", key, ex);
        }
      }
    } else {
      metrics.updates.increment();
      for (EventHandler<T> h : handlers) {
        try {
          h.onUpdate(key, prev.object(), obj);
        } catch (RuntimeException ex) {
          handlerFailed("onUpdate", key, ex);
        }
      }
    }
  }

  private void deliverDelete(String key, T last) {
    metrics.deletes.increment();
    for (EventHandler<T> h : handlers) {
      try {
        h.onDelete(key, last);
      } catch (RuntimeException ex) {
        handlerFailed("onDelete", key, ex);
      }
    }
  }

  private void handlerFailed(String what, String key, RuntimeException ex) {
    metrics.handlerErrors.increment();
    log.warn("{}: handler {} for {} threw", name, what, key, ex);
  }

  private void setApplied(long revision) {
    if (revision < appliedRevision) {
      throw new IllegalStateException(name + ": applied revision would go back from " + appliedRevision
          + " to " + revision);
    }
    appliedRevision = revision;
    metrics.lastSyncRevision.set(syncedRevision());
  }
}
