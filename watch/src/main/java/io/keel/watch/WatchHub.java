package io.keel.watch;

import io.grpc.Status;
import io.keel.kvstore.EtcdError;
import io.keel.kvstore.EtcdException;
import io.keel.kvstore.MvccStore;
import io.keel.kvstore.RevisionListener;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch fan-out of one member. The store's writer hands each committed revision to a bounded queue
 * (never blocking: on overflow the revision is dropped and every watcher catches up from the store). One
 * dispatcher thread owns all watcher state: it fans each revision out through the index of <em>synced</em>
 * watchers, one response per watcher per revision (atomic), into bounded per-stream queues. A watcher whose
 * stream is backed up moves to the <em>unsynced</em> group and is fed from the store's history
 * ({@link MvccStore#events}) from its next revision up to the last dispatched revision, then rejoins the synced
 * group; if that revision was compacted it is canceled with the compact revision, as etcd does. Each watcher's
 * {@code nextRev} only grows and every delivery starts at it, so nothing is lost or repeated.
 */
public final class WatchHub implements RevisionListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WatchHub.class);

  private record Rev(long revision, List<Event> events, boolean restored, long compactRevision) {}

  /** Bounds of one batch of revisions delivered together (the added delay and the response size). */
  static final int BATCH_MAX_REVISIONS = 32;
  static final long BATCH_MAX_EVENT_BYTES = 128 * 1024;

  private final MvccStore store;
  private final WatchConfig config;
  private final LongFunction<ResponseHeader> headers;
  private final WatchMetrics metrics;
  private final ConcurrentLinkedQueue<Rev> revisions = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queuedRevisions = new AtomicInteger();
  private final AtomicBoolean dropped = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queuedCommands = new AtomicInteger();
  private final AtomicLong streamIds = new AtomicLong();
  private final ExecutorService sender;
  private final Thread dispatcher;
  private volatile boolean running = true;
  /** No dispatcher thread: a test calls {@link #step()}. */
  private final boolean manual;

  // ---- dispatcher-owned ----
  private final WatcherIndex synced = new WatcherIndex();
  private final WatcherIndex unsynced = new WatcherIndex();
  private final Set<Session> sessions = new HashSet<>();
  /** Sessions that got responses in the current step; drained by the dispatcher at its end. */
  private final List<Session> toDrain = new ArrayList<>();
  /** Revisions fanned out but not yet delivered (see {@link #dispatch}): their count, first revision, size. */
  private int batchRevisions;
  private long batchStart;
  private long batchEventBytes;
  private final List<Watcher> batchTouched = new ArrayList<>();
  private long lastRev;
  private long nextProgressNanos;
  private long nextCatchUpNanos;
  // gauges read these from other threads
  private volatile int watcherCount;
  private volatile int slowCount;
  private volatile int streamCount;

  /**
   * Starts the dispatcher and subscribes to {@code store}. {@code headers} makes a response header for a
   * revision (cluster and member ids, Raft term).
   */
  public WatchHub(MvccStore store, WatchConfig config, LongFunction<ResponseHeader> headers, MeterRegistry registry) {
    this(store, config, headers, registry, true);
  }

  /**
   * Tests: with {@code startDispatcher} false no dispatcher thread runs and the test drives {@link #step()}
   * itself, so interleavings of requests, revisions and catch-up rounds are deterministic.
   */
  WatchHub(MvccStore store, WatchConfig config, LongFunction<ResponseHeader> headers, MeterRegistry registry,
      boolean startDispatcher) {
    this.store = store;
    this.config = config;
    this.headers = headers;
    this.metrics = new WatchMetrics(registry, () -> watcherCount, () -> streamCount, () -> slowCount,
        queuedRevisions::get);
    this.sender = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "keel-watch-send");
      t.setDaemon(true);
      return t;
    });
    store.addListener(this);
    this.lastRev = store.currentRevision(); // revisions at or below are skipped when they arrive
    this.nextProgressNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.progressIntervalMs());
    this.dispatcher = new Thread(this::run, "keel-watch-dispatch");
    dispatcher.setDaemon(true);
    this.manual = !startDispatcher;
    if (startDispatcher) {
      dispatcher.start();
    }
  }

  public WatchConfig config() {
    return config;
  }

  // ---- writer thread ----

  @Override
  public void onRevision(long revision, List<Event> events) {
    enqueueRevision(new Rev(revision, events, false, 0));
  }

  @Override
  public void onRestored(long revision, long compactRevision) {
    enqueueRevision(new Rev(revision, List.of(), true, compactRevision));
  }

  private void enqueueRevision(Rev r) {
    if (queuedRevisions.get() >= config.eventQueueRevisions() && !r.restored) {
      dropped.set(true); // the dispatcher notices and sends every synced watcher to catch-up
      metrics.droppedRevisions.increment();
    } else {
      queuedRevisions.incrementAndGet();
      revisions.add(r);
    }
    LockSupport.unpark(dispatcher);
  }

  // ---- client threads ----

  /** A new watch stream writing to {@code sink}. */
  public Session open(ResponseSink sink) {
    Session s = new Session(streamIds.incrementAndGet(), sink, sender, config, metrics, toDrain::add);
    submit(s, () -> {
      sessions.add(s);
      streamCount = sessions.size();
    });
    return s;
  }

  /** etcd WatchCreateRequest: answered with a created response, then events. */
  public void create(Session s, WatchCreateRequest req) {
    long current = store.currentRevision(); // etcd: the created header and "now" are the store's revision
    long start = req.getStartRevision() <= 0 ? current + 1 : req.getStartRevision();
    WatchRange range = WatchRange.of(req.getKey(), req.getRangeEnd());
    int flags = (req.getPrevKv() ? Watcher.PREV_KV : 0) | (req.getProgressNotify() ? Watcher.PROGRESS_NOTIFY : 0)
        | (req.getFragment() ? Watcher.FRAGMENT : 0) | Watcher.QUIET;
    for (WatchCreateRequest.FilterType f : req.getFiltersList()) {
      flags |= f == WatchCreateRequest.FilterType.NOPUT ? Watcher.NO_PUT
          : f == WatchCreateRequest.FilterType.NODELETE ? Watcher.NO_DELETE : 0;
    }
    int fl = flags;
    submit(s, () -> doCreate(s, req.getWatchId(), range, start, fl, current));
  }

  public void cancel(Session s, long watchId) {
    submit(s, () -> doCancel(s, watchId));
  }

  /** etcd WatchProgressRequest: one response with watch_id -1 at a revision every watcher has reached. */
  public void requestProgress(Session s) {
    submit(s, () -> {
      s.progressRequested = true;
      maybeSendRequestedProgress(s);
    });
  }

  /** The client failed or canceled the stream: drop what is queued and its watchers. */
  public void close(Session s) {
    s.abandon();
    submitUnbounded(() -> removeSession(s));
  }

  /** The client half-closed the stream: end it after what is queued, and drop its watchers. */
  public void finish(Session s) {
    s.terminate(Status.OK);
    submitUnbounded(() -> removeSession(s));
  }

  private void submit(Session s, Runnable command) {
    if (queuedCommands.incrementAndGet() > config.commandQueueSize()) {
      queuedCommands.decrementAndGet();
      if (s != null) {
        s.terminate(Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: too many requests"));
        submitUnbounded(() -> removeSession(s));
      } else {
        submitUnbounded(command);
      }
      return;
    }
    commands.add(command);
    LockSupport.unpark(dispatcher);
  }

  /** Cleanup commands are never refused (each stream produces at most one). */
  private void submitUnbounded(Runnable command) {
    queuedCommands.incrementAndGet();
    commands.add(command);
    LockSupport.unpark(dispatcher);
  }

  // ---- dispatcher thread ----

  private void run() {
    while (running) {
      try {
        boolean worked = step();
        if (!worked) {
          long park = unsynced.size() > 0 ? TimeUnit.MILLISECONDS.toNanos(config.catchUpIntervalMs())
              : TimeUnit.MILLISECONDS.toNanos(Math.min(100, config.progressIntervalMs()));
          LockSupport.parkNanos(park);
        }
      } catch (RuntimeException | AssertionError e) {
        LOG.error("watch dispatcher step failed; continuing", e);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
    }
  }

  /** One round of work; true if anything was done. */
  boolean step() {
    boolean worked = false;
    Runnable c;
    for (int i = 0; i < 1024 && (c = commands.poll()) != null; i++) {
      queuedCommands.decrementAndGet();
      c.run();
      worked = true;
    }
    Rev r;
    for (int i = 0; i < 256 && (r = revisions.poll()) != null; i++) {
      queuedRevisions.decrementAndGet();
      dispatch(r);
      worked = true;
    }
    flushBatch(); // whatever is batched goes out before the step ends
    if (revisions.isEmpty() && dropped.compareAndSet(true, false)) {
      long cur = store.currentRevision();
      if (cur > lastRev) {
        allToCatchUp();
        lastRev = cur;
      }
      worked = true;
    }
    long now = System.nanoTime();
    if (unsynced.size() > 0 && now - nextCatchUpNanos >= 0) {
      nextCatchUpNanos = now + TimeUnit.MILLISECONDS.toNanos(config.catchUpIntervalMs());
      worked |= catchUp();
    }
    if (now - nextProgressNanos >= 0) {
      nextProgressNanos = now + TimeUnit.MILLISECONDS.toNanos(config.progressIntervalMs());
      progressTick();
    }
    drainQueued();
    watcherCount = synced.size() + unsynced.size();
    slowCount = unsynced.size();
    return worked;
  }

  /** Sends what this step queued, on the dispatcher thread (see {@link Session}). */
  private void drainQueued() {
    for (int i = 0; i < toDrain.size(); i++) {
      toDrain.get(i).drainQueued();
    }
    toDrain.clear();
  }

  /**
   * Fans one revision out. Consecutive revisions that are ready together (a backlog behind the writer) are
   * batched: each touched watcher collects its events of up to {@link #BATCH_MAX_REVISIONS} revisions (or
   * {@link #BATCH_MAX_EVENT_BYTES} of events) and gets them in one response headed by the revision of its last
   * event; whole revisions only, in order, so atomicity holds (etcd's catch-up also sends several revisions in
   * one response). Without a backlog a
   * batch is one revision and goes out at once.
   */
  private void dispatch(Rev r) {
    if (r.restored) {
      flushBatch();
      LOG.info("store restored at revision {} (compacted at {}): {} watchers re-sync from the store", r.revision,
          r.compactRevision, synced.size() + unsynced.size());
      allToCatchUp();
      lastRev = Math.max(lastRev, r.revision);
      return;
    }
    if (r.revision <= lastRev) {
      return; // already covered (queued before the hub read the store's revision, or after a gap)
    }
    if (r.revision > lastRev + 1) {
      flushBatch();
      allToCatchUp(); // revisions were dropped on overflow: the store has them
      lastRev = r.revision;
      return;
    }
    if (synced.size() == 0) {
      flushBatch(); // nothing is batched without a synced watcher; flushed for clarity before lastRev moves
      lastRev = r.revision;
      return;
    }
    lastRev = r.revision;
    if (batchRevisions == 0) {
      batchStart = r.revision;
    }
    batchRevisions++;
    long rev = r.revision;
    for (Event ev : r.events) {
      batchEventBytes += ev.getSerializedSize();
      synced.forEachMatch(ev.getKv().getKey(), w -> {
        if (rev >= w.nextRev && w.wants(ev)) {
          if (w.scratch == null) {
            w.scratch = new ArrayList<>(2);
            batchTouched.add(w);
          }
          w.scratch.add(ev);
        }
      });
    }
    if (batchRevisions >= BATCH_MAX_REVISIONS || batchEventBytes >= BATCH_MAX_EVENT_BYTES || revisions.isEmpty()) {
      flushBatch(); // no backlog (or the batch is full): send now
    }
  }

  /** Delivers the batched revisions {@code batchStart..lastRev}: one response per touched watcher, then sends. */
  private void flushBatch() {
    if (batchRevisions == 0) {
      return;
    }
    long from = batchStart;
    batchRevisions = 0;
    batchEventBytes = 0;
    if (!batchTouched.isEmpty()) {
      // shared by every watcher of this batch: one header per revision, and each event with prev_kv read and
      // built once. A response is headed by its last event's revision, as etcd heads a live notification.
      ResponseHeader[] header = new ResponseHeader[(int) (lastRev - from + 1)];
      Map<Event, Event> withPrev = new IdentityHashMap<>();
      for (Watcher w : batchTouched) {
        List<Event> evs = w.scratch;
        w.scratch = null;
        long last = evs.get(evs.size() - 1).getKv().getModRevision();
        if (evs.get(0).getKv().getModRevision() < from || last > lastRev) {
          throw new IllegalStateException("watcher " + w.id + " batched events outside [" + from + ", " + lastRev + "]");
        }
        int i = (int) (last - from);
        if (header[i] == null) {
          header[i] = headers.apply(last);
        }
        if (!deliver(w, last, evs, header[i], withPrev)) {
          toCatchUp(w, from); // none of this batch went out to it: it catches up from the batch's start
          metrics.slowTransitions.increment();
        }
      }
      batchTouched.clear();
    }
    drainQueued(); // each batch goes out as soon as it is fanned out
  }

  /**
   * Queues one response with {@code evs} (all of this watcher's events up to {@code rev}); false if backed up
   * (or its prev_kv could not be read).
   * {@code header} is the revision's header; {@code withPrev} caches events with their prev_kv, which committed
   * events do not carry: read from the store on demand (etcd's watch server does the same, at mod_revision - 1).
   */
  private boolean deliver(Watcher w, long rev, List<Event> evs, ResponseHeader header, Map<Event, Event> withPrev) {
    if (rev < w.nextRev || !w.has(Watcher.SYNCED)) {
      throw new IllegalStateException("watcher " + w.id + " at " + w.nextRev + " offered revision " + rev);
    }
    WatchResponse.Builder b = WatchResponse.newBuilder().setHeader(header).setWatchId(w.id);
    boolean prev = w.has(Watcher.PREV_KV);
    for (Event ev : evs) {
      if (ev.hasPrevKv()) {
        throw new IllegalStateException("committed event at " + rev + " carries prev_kv");
      }
      if (!prev) {
        b.addEvents(ev);
        continue;
      }
      try {
        b.addEvents(withPrev.computeIfAbsent(ev, store::withPrevKv));
      } catch (RuntimeException e) {
        // the store could not be read (closing, restoring, I/O): nothing of this revision went out, so the
        // watcher catches up from the store's history from this revision on instead of skipping it
        LOG.warn("watcher {}: prev_kv read at revision {} failed; it catches up from the store", w.id, rev, e);
        return false;
      }
    }
    WatchResponse resp = b.build();
    List<WatchResponse> parts = w.has(Watcher.FRAGMENT) ? Fragmenter.split(resp, config.maxRequestBytes())
        : List.of(resp);
    if (parts.size() == 1) {
      if (!w.session.offerEvents(resp)) {
        return false;
      }
    } else {
      if (!w.session.hasRoom()) {
        return false;
      }
      parts.forEach(w.session::offerControl); // fragments of one revision go out together
    }
    w.nextRev = rev + 1;
    w.set(Watcher.QUIET, false);
    return true;
  }

  private void toCatchUp(Watcher w, long fromRev) {
    synced.remove(w);
    w.nextRev = Math.max(w.nextRev, fromRev);
    w.set(Watcher.SYNCED, false);
    unsynced.add(w);
    w.session.unsynced++;
  }

  private void toSynced(Watcher w) {
    unsynced.remove(w);
    w.set(Watcher.SYNCED, true);
    synced.add(w);
    w.session.unsynced--;
    maybeSendRequestedProgress(w.session);
  }

  private void allToCatchUp() {
    for (Watcher w : synced.all()) {
      toCatchUp(w, lastRev + 1);
    }
  }

  /**
   * Feeds unsynced watchers whose streams have room from the store's history, one bounded read shared by all of
   * them; watchers that reach the last dispatched revision rejoin the synced group.
   */
  private boolean catchUp() {
    List<Watcher> ready = new ArrayList<>();
    for (Watcher w : unsynced.all()) {
      if (w.session.hasRoom() && !w.session.isClosed()) {
        ready.add(w);
      }
    }
    if (ready.isEmpty()) {
      return false;
    }
    long compact = store.compactRevision();
    long from = Long.MAX_VALUE;
    boolean prevKv = false;
    List<Watcher> live = new ArrayList<>(ready.size());
    for (Watcher w : ready) {
      if (compact > 0 && w.nextRev < compact) {
        cancelCompacted(w, compact);
        continue;
      }
      if (w.nextRev > lastRev) {
        toSynced(w);
        continue;
      }
      live.add(w);
      from = Math.min(from, w.nextRev);
      prevKv |= w.has(Watcher.PREV_KV);
    }
    if (live.isEmpty()) {
      return true;
    }
    List<Event> events;
    try {
      events = store.events(from, lastRev, prevKv, config.catchUpBatchEvents());
    } catch (EtcdException e) {
      if (e.error() == EtcdError.COMPACTED) {
        return true; // a compaction overtook the read: the next round cancels the watchers below it
      }
      throw e;
    }
    long windowEnd = events.size() >= config.catchUpBatchEvents()
        ? events.get(events.size() - 1).getKv().getModRevision() : lastRev;
    Set<Watcher> candidates = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    candidates.addAll(live);
    List<Watcher> touched = new ArrayList<>();
    for (Event ev : events) {
      long rev = ev.getKv().getModRevision();
      if (rev < from || rev > windowEnd) {
        throw new IllegalStateException("store returned revision " + rev + " outside [" + from + ", " + windowEnd + "]");
      }
      unsynced.forEachMatch(ev.getKv().getKey(), w -> {
        if (rev >= w.nextRev && candidates.contains(w) && w.wants(ev)) {
          if (w.scratch == null) {
            w.scratch = new ArrayList<>();
            touched.add(w);
          }
          w.scratch.add(ev);
        }
      });
    }
    ResponseHeader header = headers.apply(windowEnd);
    Map<Event, Event> stripped = new IdentityHashMap<>();
    for (Watcher w : touched) {
      List<Event> evs = w.scratch;
      w.scratch = null;
      WatchResponse.Builder b = WatchResponse.newBuilder().setHeader(header).setWatchId(w.id);
      boolean prev = w.has(Watcher.PREV_KV);
      for (Event ev : evs) {
        b.addEvents(prev || !ev.hasPrevKv() ? ev
            : stripped.computeIfAbsent(ev, e -> e.toBuilder().clearPrevKv().build()));
      }
      WatchResponse resp = b.build();
      List<WatchResponse> parts = w.has(Watcher.FRAGMENT) ? Fragmenter.split(resp, config.maxRequestBytes())
          : List.of(resp);
      parts.forEach(w.session::offerControl); // room was checked above
      w.set(Watcher.QUIET, false);
    }
    for (Watcher w : live) {
      if (w.nextRev <= windowEnd) {
        w.nextRev = windowEnd + 1; // never backwards: a watcher ahead of this window keeps its position
      }
      if (w.nextRev > lastRev) {
        toSynced(w);
      }
    }
    return true;
  }

  private void cancelCompacted(Watcher w, long compact) {
    removeWatcher(w);
    metrics.compactedCancels.increment();
    // etcd 3.4: watch id, compact_revision, canceled; the header carries no revision
    w.session.offerControl(WatchResponse.newBuilder().setHeader(headers.apply(0)).setWatchId(w.id)
        .setCompactRevision(compact).setCanceled(true).build());
    // only now may a waiting progress request be answered: answered before the cancel, it would tell the client
    // this watcher was brought up to date to lastRev while it got nothing after its start (chaos run 092032Z-15)
    maybeSendRequestedProgress(w.session);
  }

  private void doCreate(Session s, long requestedId, WatchRange range, long start, int flags, long headerRev) {
    if (s.isClosed()) {
      return;
    }
    if (!sessions.contains(s)) {
      return;
    }
    String error = null;
    long id = requestedId;
    if (range == null) {
      error = "mvcc: watcher range is empty";
    } else if (id == 0) {
      while (s.watchers.containsKey(s.nextAutoId)) {
        s.nextAutoId++;
      }
      id = s.nextAutoId++;
    } else if (s.watchers.containsKey(id)) {
      error = "mvcc: duplicate watch ID provided on the WatchStream";
    }
    if (error != null) {
      s.offerControl(WatchResponse.newBuilder().setHeader(headers.apply(headerRev)).setWatchId(-1)
          .setCreated(true).setCanceled(true).setCancelReason(error).build());
      return;
    }
    Watcher w = new Watcher(id, s, start, flags, range);
    s.watchers.add(w);
    // created goes first on the stream, so it precedes every event of this watcher
    s.offerControl(WatchResponse.newBuilder().setHeader(headers.apply(headerRev)).setWatchId(id).setCreated(true)
        .build());
    if (start > lastRev) {
      w.set(Watcher.SYNCED, true);
      synced.add(w);
    } else {
      unsynced.add(w);
      s.unsynced++;
      nextCatchUpNanos = System.nanoTime(); // catch up promptly
    }
  }

  private void doCancel(Session s, long id) {
    Watcher w = s.watchers.get(id);
    if (w == null) {
      return; // etcd 3.4 sends nothing for an unknown id
    }
    removeWatcher(w);
    s.offerControl(WatchResponse.newBuilder().setHeader(headers.apply(lastRev)).setWatchId(id).setCanceled(true)
        .build());
    maybeSendRequestedProgress(s);
  }

  /**
   * Drops {@code w}. Never answers a waiting progress request itself: the caller first queues the response that
   * ends the watch, then calls {@link #maybeSendRequestedProgress}, so a progress never precedes it.
   */
  private void removeWatcher(Watcher w) {
    if (w.has(Watcher.SYNCED)) {
      synced.remove(w);
    } else {
      unsynced.remove(w);
      w.session.unsynced--;
    }
    w.session.watchers.remove(w.id);
    if (w.session.unsynced < 0) {
      throw new IllegalStateException("stream " + w.session.streamId + " unsynced count " + w.session.unsynced);
    }
  }

  private void removeSession(Session s) {
    if (!sessions.remove(s)) {
      return;
    }
    for (Watcher w : s.watchers.toList()) {
      removeWatcher(w);
    }
    streamCount = sessions.size();
  }

  private void maybeSendRequestedProgress(Session s) {
    if (s.progressRequested && s.unsynced == 0) {
      s.progressRequested = false;
      // the claim "every event up to lastRev was sent" holds only if every watcher of the stream is synced
      s.watchers.forEach(w -> {
        if (!w.has(Watcher.SYNCED)) {
          throw new IllegalStateException("progress on stream " + s.streamId + " with watcher " + w.id + " unsynced");
        }
      });
      s.offerControl(WatchResponse.newBuilder().setHeader(headers.apply(lastRev)).setWatchId(-1).build());
    }
  }

  /** etcd's periodic progress: a synced progress-notify watcher that got no events since the last tick. */
  private void progressTick() {
    for (Session s : sessions) {
      s.watchers.forEach(w -> {
        if (!w.has(Watcher.PROGRESS_NOTIFY)) {
          return;
        }
        if (w.has(Watcher.QUIET) && w.has(Watcher.SYNCED)) {
          s.offerControl(WatchResponse.newBuilder().setHeader(headers.apply(lastRev)).setWatchId(w.id).build());
        }
        w.set(Watcher.QUIET, true);
      });
    }
  }

  /** Ends every stream (server stopping) and stops the dispatcher. */
  @Override
  public void close() {
    if (!running) {
      return;
    }
    store.removeListener(this);
    CountDownCommand done = new CountDownCommand();
    submitUnbounded(() -> {
      for (Session s : sessions) {
        s.terminate(Status.UNAVAILABLE.withDescription("etcdserver: server stopped"));
      }
      done.run();
    });
    if (manual) {
      while (step()) {
        // the test's hub: run the shutdown command on this thread
      }
    } else {
      done.await(2000);
    }
    running = false;
    LockSupport.unpark(dispatcher);
    try {
      dispatcher.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sender.shutdown();
    try {
      sender.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sender.shutdownNow();
  }

  private static final class CountDownCommand implements Runnable {
    private final java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);

    @Override
    public void run() {
      latch.countDown();
    }

    void await(long ms) {
      try {
        latch.await(ms, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Dispatcher-thread snapshot for tests and benchmarks: synced and unsynced watcher counts. */
  public int[] watcherCounts() {
    return new int[] {synced.size(), unsynced.size()};
  }
}
