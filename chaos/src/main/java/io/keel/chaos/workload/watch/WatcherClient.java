package io.keel.chaos.workload.watch;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.keel.chaos.checker.watch.WatchEvent;
import io.keel.chaos.workload.QueueObserver;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchGrpc;
import io.keel.proto.etcdserverpb.WatchProgressRequest;
import io.keel.proto.etcdserverpb.WatchRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watcher as a real client runs one: watches a prefix from a start revision on one member and, whenever the
 * stream breaks or the server cancels it, opens a new stream (to the member's current port) resuming from the
 * last revision it received + 1 — or from compact_revision after a compaction cancel. It asks for progress
 * every {@code progressEveryMs}, so it knows how far it has been brought up to date even when no event of its
 * prefix arrives. Everything it sees goes to the {@link WatchLog}.
 */
public final class WatcherClient {
  private static final Logger LOG = LoggerFactory.getLogger(WatcherClient.class);
  private static final int MAX_QUEUED = 4096;
  private static final long CREATE_TIMEOUT_MS = 10_000;

  private final int id;
  private final Supplier<ManagedChannel> channel;
  private final String prefix;
  private final WatchLog log;
  private final long progressEveryMs;
  private final Thread thread;
  private volatile long next;
  /** The highest revision up to which this watcher knows it got every event (events or progress). */
  private volatile long reached;
  private volatile boolean stopping;
  private volatile boolean reconnectNow;

  public WatcherClient(int id, Supplier<ManagedChannel> channel, String prefix, long startRevision, WatchLog log,
      long progressEveryMs) {
    if (startRevision < 1 || progressEveryMs < 10) {
      throw new IllegalArgumentException("startRevision >= 1 and progressEveryMs >= 10 required");
    }
    this.id = id;
    this.channel = channel;
    this.prefix = prefix;
    this.log = log;
    this.progressEveryMs = progressEveryMs;
    this.next = startRevision;
    this.reached = startRevision - 1;
    this.thread = new Thread(this::loop, "chaos-watcher-" + id);
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  public long reached() {
    return reached;
  }

  /** Waits until the watcher knows it has every event up to {@code revision}; false on timeout. */
  public boolean awaitReached(long revision, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (reached < revision) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }

  /** Makes the watcher drop its stream and open a new one (after a stall). */
  public void reconnect() {
    reconnectNow = true;
  }

  /** Stops the watcher and logs {@code end} with the revision it was asked to reach. */
  public void stop(long target) throws InterruptedException {
    stopping = true;
    thread.join(10_000);
    if (thread.isAlive()) {
      thread.interrupt();
      thread.join(5_000);
    }
    log.add(id, "end", target, null, "reached " + reached);
  }

  private void loop() {
    while (!stopping) {
      try {
        stream();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.add(id, "error", next, null, e.toString());
      }
      if (!stopping) {
        try {
          Thread.sleep(300);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** One stream: create from {@code next}, consume until it breaks, is canceled, or the watcher stops. */
  private void stream() throws InterruptedException {
    QueueObserver<WatchResponse> q = new QueueObserver<>(MAX_QUEUED);
    StreamObserver<WatchRequest> req = WatchGrpc.newStub(channel.get()).watch(q);
    long from = next;
    ByteString key = ByteString.copyFromUtf8(prefix);
    ByteString end = ByteString.copyFromUtf8(prefixEnd(prefix));
    req.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(key)
        .setRangeEnd(end).setStartRevision(from)).build());
    log.add(id, "start", from, null, null);
    long createdBy = System.nanoTime() + CREATE_TIMEOUT_MS * 1_000_000L;
    boolean created = false;
    long nextProgress = System.nanoTime();
    reconnectNow = false;
    try {
      while (!stopping && !reconnectNow) {
        Object o = q.poll(100);
        if (o == null) {
          if (q.overflowed()) {
            log.add(id, "error", next, null, "client queue overflow; resuming");
            return;
          }
          if (!created && System.nanoTime() > createdBy) {
            log.add(id, "error", next, null, "no created response within " + CREATE_TIMEOUT_MS + " ms");
            return;
          }
          if (created && System.nanoTime() > nextProgress) {
            req.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance())
                .build());
            nextProgress = System.nanoTime() + progressEveryMs * 1_000_000L;
          }
          continue;
        }
        if (o instanceof Throwable t) {
          log.add(id, "error", next, null, t.toString());
          return;
        }
        WatchResponse r = (WatchResponse) o;
        if (r.getCanceled()) {
          log.add(id, "canceled", r.getCompactRevision(), null, r.getCancelReason());
          if (r.getCompactRevision() > 0) {
            next = Math.max(next, r.getCompactRevision());
          }
          return;
        }
        if (r.getCreated()) {
          created = true;
        }
        if (r.getEventsCount() > 0) {
          List<WatchEvent> evs = new ArrayList<>(r.getEventsCount());
          for (Event e : r.getEventsList()) {
            String k = e.getKv().getKey().toString(StandardCharsets.UTF_8);
            evs.add(e.getType() == Event.EventType.DELETE ? WatchEvent.delete(k, e.getKv().getModRevision())
                : WatchEvent.put(k, e.getKv().getModRevision(), parse(e.getKv().getValue())));
          }
          log.add(id, "events", r.getHeader().getRevision(), evs, null);
          long last = evs.get(evs.size() - 1).revision();
          next = Math.max(next, last + 1);
          reached = Math.max(reached, last);
        } else if (r.getWatchId() == -1 || (!r.getCreated() && r.getHeader().getRevision() > 0)) {
          long rev = r.getHeader().getRevision();
          log.add(id, "progress", rev, null, null);
          reached = Math.max(reached, rev);
        }
      }
    } finally {
      try {
        req.onCompleted();
      } catch (RuntimeException e) {
        LOG.debug("watcher {}: closing the stream: {}", id, e.toString());
      }
    }
  }

  private static long parse(ByteString v) {
    try {
      return Long.parseLong(v.toString(StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      return -1; // not a workload value: the checker reports it as never written
    }
  }

  /** The end of a prefix range: the prefix with its last byte incremented. */
  public static String prefixEnd(String prefix) {
    char last = prefix.charAt(prefix.length() - 1);
    return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
  }
}
