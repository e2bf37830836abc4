package io.keel.watch.informer;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A list+watch cache of the keys under a prefix, with client-go informer semantics, over the etcd v3
 * API (works against etcd and Keel).
 *
 * <p>It lists the prefix (paginated, at one pinned revision), fills its {@link Indexer}, then watches
 * from the list's revision + 1 with {@code prev_kv} and progress notifications, applying events in
 * revision order and calling the {@link EventHandler}s on its one thread. A broken stream is resumed
 * from the last applied revision + 1 after a bounded exponential backoff, so reconnects neither skip nor
 * repeat events. If that revision was compacted (the watch is canceled with {@code compact_revision})
 * it lists again and emits the difference as add/update/delete calls. An optional periodic resync
 * re-delivers {@code onUpdate(o, o)} for every cached object, for level-triggered controllers.
 */
public final class Informer<T> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Informer.class);

  private final InformerConfig<T> config;
  private final KeyRange range;
  private final Indexer<T> cache;
  private final InformerMetrics metrics;
  private final List<EventHandler<T>> handlers = new ArrayList<>();
  private final CountDownLatch synced = new CountDownLatch(1);
  private final Object lifecycle = new Object();
  private Thread thread;
  private volatile boolean running;
  private volatile long lastSyncRevision;
  private CacheUpdater<T> updater;

  public Informer(InformerConfig<T> config) {
    this.config = Objects.requireNonNull(config, "config");
    this.range = KeyRange.prefix(ByteString.copyFromUtf8(config.prefix));
    this.cache = new Indexer<>(config.indexers);
    this.metrics = new InformerMetrics(config.registry, config.name, cache::size);
  }

  /** Registers a handler; only before {@link #start}. */
  public Informer<T> addHandler(EventHandler<T> handler) {
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("add handlers before start()");
      }
      handlers.add(Objects.requireNonNull(handler, "handler"));
      return this;
    }
  }

  /** Starts the informer thread. */
  public Informer<T> start() {
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("informer " + config.name + " already started");
      }
      updater = new CacheUpdater<>(config.name, config.decoder, cache, handlers, metrics);
      running = true;
      thread = new Thread(this::run, "informer-" + config.name);
      thread.setDaemon(true);
      thread.start();
      return this;
    }
  }

  /** The local cache (read-only to callers). */
  public Indexer<T> cache() {
    return cache;
  }

  /** True once the first list is in the cache and its add calls were made. */
  public boolean hasSynced() {
    return synced.getCount() == 0;
  }

  /** Waits up to {@code timeoutMs} for {@link #hasSynced}. */
  public boolean awaitSynced(long timeoutMs) throws InterruptedException {
    return synced.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** The revision the cache reflects (last list, event or progress notification); 0 before the first list. */
  public long lastSyncRevision() {
    return lastSyncRevision;
  }

  /** Stops the watch and the thread; waits up to 10 s for it. Handlers are not called afterwards. */
  @Override
  public void close() {
    Thread t;
    synchronized (lifecycle) {
      running = false;
      t = thread;
    }
    if (t == null || t == Thread.currentThread()) {
      return;
    }
    t.interrupt();
    try {
      t.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (t.isAlive()) {
      log.warn("{}: informer thread did not stop within 10 s", config.name);
    }
  }

  private void run() {
    Lister lister = new Lister(config.channel, range, config.pageSize, config.maxObjects, config.requestTimeoutMs);
    boolean needList = true;
    boolean listedOnce = false;
    int failures = 0;
    boolean resync = config.resyncPeriodMs > 0;
    long nextResyncNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.resyncPeriodMs);
    while (running) {
      try {
        if (needList) {
          long t0 = System.nanoTime();
          Lister.Snapshot snap = lister.list();
          if (!running) {
            break;
          }
          if (listedOnce) {
            metrics.relists.increment(); // before the handlers see the relist's changes, so observers agree
          }
          updater.replace(snap);
          metrics.listDuration.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
          listedOnce = true;
          needList = false;
          lastSyncRevision = updater.syncedRevision();
          synced.countDown();
          log.info("{}: listed {} keys at revision {}", config.name, snap.kvs().size(), snap.revision());
        }
        WatchStream stream = new WatchStream(config.watchBufferResponses);
        try {
          stream.open(config.channel, range, updater.appliedRevision() + 1);
          List<Event> fragments = new ArrayList<>();
          while (running) {
            long waitMs = resync
                ? Math.max(1, Math.min(60_000, TimeUnit.NANOSECONDS.toMillis(nextResyncNanos - System.nanoTime())))
                : 60_000;
            Object msg = stream.poll(waitMs);
            if (resync && System.nanoTime() - nextResyncNanos >= 0) {
              updater.resync();
              nextResyncNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.resyncPeriodMs);
            }
            if (msg == null) {
              continue;
            }
            if (msg instanceof WatchStream.Ended ended) {
              throw new WatchBrokenException("watch stream ended", ended.error());
            }
            WatchResponse resp = (WatchResponse) msg;
            metrics.watchResponses.increment();
            if (resp.getCompactRevision() > 0) {
              log.info("{}: watch from {} compacted (compact_revision {}); listing again", config.name,
                  updater.appliedRevision() + 1, resp.getCompactRevision());
              needList = true;
              failures = 0;
              break;
            }
            if (resp.getCanceled()) {
              throw new WatchBrokenException("watch canceled: " + resp.getCancelReason(), null);
            }
            if (resp.getFragment()) {
              // One revision's events split over several responses; apply them together (atomic).
              metrics.watchFragments.increment();
              fragments.addAll(resp.getEventsList());
              if (fragments.size() > config.maxObjects) {
                throw new IllegalStateException("fragmented watch response exceeds maxObjects=" + config.maxObjects);
              }
              stream.consumed();
              continue;
            }
            if (resp.getCreated()) {
              failures = 0;
            } else if (!fragments.isEmpty()) {
              fragments.addAll(resp.getEventsList());
              updater.applyEvents(fragments);
              fragments.clear();
            } else if (resp.getEventsCount() > 0) {
              updater.applyEvents(resp.getEventsList());
            } else {
              updater.progress(resp.getHeader().getRevision());
            }
            lastSyncRevision = updater.syncedRevision();
            stream.consumed();
          }
        } finally {
          stream.cancel("informer " + config.name + " closing this watch");
        }
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        if (!running) {
          break;
        }
        if (e instanceof IllegalStateException) {
          log.warn("{}: invariant failed; listing again", config.name, e);
          needList = true;
        }
        failures++;
        metrics.reconnects.increment();
        long backoffMs = backoffMs(failures);
        log.warn("{}: {} (attempt {}); retrying from revision {} in {} ms", config.name, e.toString(), failures,
            updater.appliedRevision() + 1, backoffMs);
        if (config.channel instanceof ManagedChannel mc) {
          mc.resetConnectBackoff();
        }
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException ie) {
          break;
        }
      }
    }
    log.info("{}: stopped at revision {}", config.name, updater.appliedRevision());
  }

  /** Exponential from initialBackoffMs, capped at maxBackoffMs, with up to 20% jitter. */
  private long backoffMs(int failures) {
    long b = config.initialBackoffMs;
    for (int i = 1; i < failures && b < config.maxBackoffMs; i++) {
      b *= 2;
    }
    b = Math.min(b, config.maxBackoffMs);
    return b + ThreadLocalRandom.current().nextLong(b / 5 + 1);
  }

  /** The watch stream broke; resume from the applied revision. */
  static final class WatchBrokenException extends RuntimeException {
    WatchBrokenException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
