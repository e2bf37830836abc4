package io.keel.watch;

import io.grpc.Status;
import io.keel.proto.etcdserverpb.WatchResponse;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One watch stream: its watchers (dispatcher-owned) and a bounded outbound queue drained to the
 * {@link ResponseSink}, one drainer at a time, only while the transport is ready. Responses the dispatcher
 * queues are drained by the dispatcher itself at the end of its step (no hand-off to another thread, which on a
 * busy machine costs a scheduling delay per response); a drain that has more than one batch to send, and
 * drains triggered by the transport becoming ready again, run on the sender executor. The dispatcher never
 * blocks on a client: {@link ResponseSink#send} only buffers, and when the queue is full an event response is
 * refused and the watcher falls back to catch-up from the store.
 */
public final class Session {
  private static final int DRAIN_BATCH = 256;

  final long streamId;
  private final ResponseSink sink;
  private final Executor sender;
  private final WatchConfig config;
  private final WatchMetrics metrics;
  private final ConcurrentLinkedQueue<WatchResponse> outbound = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingCount = new AtomicInteger();
  private final AtomicLong pendingBytes = new AtomicLong();
  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile Status closing;
  private volatile boolean closed;

  /** Dispatcher-owned: this stream's watchers by id. */
  final WatcherTable watchers = new WatcherTable();
  /** Dispatcher-owned: next candidate for a server-chosen id (etcd starts at 0 and skips ids in use). */
  long nextAutoId;
  /** Dispatcher-owned: watchers of this stream in catch-up (a progress request waits until this is 0). */
  int unsynced;
  /** Dispatcher-owned: a client progress request waits for all watchers to be synced. */
  boolean progressRequested;
  /** Dispatcher-owned: responses were queued in this dispatcher step and the session awaits its drain. */
  private boolean drainPending;
  /** Dispatcher-owned: collects sessions with responses queued in this step (the hub drains them). */
  private final java.util.function.Consumer<Session> queuedInStep;

  Session(long streamId, ResponseSink sink, Executor sender, WatchConfig config, WatchMetrics metrics,
      java.util.function.Consumer<Session> queuedInStep) {
    this.streamId = streamId;
    this.queuedInStep = queuedInStep;
    this.sink = sink;
    this.sender = sender;
    this.config = config;
    this.metrics = metrics;
    sink.onReady(this::scheduleDrain);
  }

  /** Room for catch-up output (below half of the bounds). */
  boolean hasRoom() {
    return pendingCount.get() < config.maxPendingResponses() / 2
        && pendingBytes.get() < config.maxPendingBytes() / 2;
  }

  /** Queues an event response unless the stream is backed up; false means the watcher must catch up later. */
  boolean offerEvents(WatchResponse r) {
    if (closed || closing != null) {
      return true; // the stream is going away: nothing more will be delivered, nothing to catch up
    }
    int n = pendingCount.get();
    if (n > 0 && (n >= config.maxPendingResponses() || pendingBytes.get() >= config.maxPendingBytes())) {
      return false;
    }
    enqueue(r);
    return true;
  }

  /**
   * Queues a control response (created, canceled, progress). These answer client requests, so they are bounded
   * by the client's own request rate; a client that sends requests but never reads is cut off.
   */
  void offerControl(WatchResponse r) {
    if (closed || closing != null) {
      return;
    }
    if (pendingCount.get() >= config.maxPendingResponses() + config.commandQueueSize()) {
      terminate(Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: too many requests"));
      return;
    }
    enqueue(r);
  }

  /** Dispatcher thread (every offer comes from it): the drain happens at the end of the dispatcher's step. */
  private void enqueue(WatchResponse r) {
    outbound.add(r);
    pendingCount.incrementAndGet();
    pendingBytes.addAndGet(r.getSerializedSize());
    if (!drainPending) {
      drainPending = true;
      queuedInStep.accept(this);
    }
  }

  /**
   * Dispatcher thread, end of a step: sends what this step queued, on this thread. If a sender thread is
   * draining already, it sees the new responses (they were queued before its final check).
   */
  void drainQueued() {
    drainPending = false;
    drain();
  }

  int pendingResponses() {
    return pendingCount.get();
  }

  /** Ends the stream with {@code status} after nothing more is queued; idempotent. */
  void terminate(Status status) {
    if (closing == null) {
      closing = status;
    }
    scheduleDrain();
  }

  boolean isClosed() {
    return closed || closing != null;
  }

  /** The client went away: drop what is queued. */
  void abandon() {
    closed = true;
    outbound.clear();
    pendingCount.set(0);
    pendingBytes.set(0);
  }

  private void scheduleDrain() {
    if (!draining.get() && !closed) {
      try {
        sender.execute(this::drain);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        abandon(); // the hub is shutting down
      }
    }
  }

  private void drain() {
    if (!draining.compareAndSet(false, true)) {
      return;
    }
    boolean more = false;
    try {
      if (closed) {
        return;
      }
      Status end = closing;
      if (end != null && !end.isOk()) {
        finishClose(end); // failing the stream: what is queued is dropped
        return;
      }
      int sent = 0;
      WatchResponse r;
      while (sent < DRAIN_BATCH && sink.isReady() && (r = outbound.poll()) != null) {
        pendingCount.decrementAndGet();
        pendingBytes.addAndGet(-r.getSerializedSize());
        sink.send(r);
        metrics.eventsSent.increment(r.getEventsCount());
        sent++;
      }
      if (end != null && outbound.isEmpty()) {
        finishClose(end); // half-closed by the client: complete after what was queued
        return;
      }
      more = sent == DRAIN_BATCH;
    } catch (RuntimeException e) {
      // the transport failed (client gone): stop sending; the service's handlers remove the watchers
      abandon();
    } finally {
      draining.set(false);
    }
    // A terminate() that came while this drain ran found it draining and scheduled nothing: close here. A failing
    // close goes at once; a half-close once the queue is empty (else the transport's onReady drains the rest).
    boolean toClose = closing != null && !closed && (!closing.isOk() || outbound.isEmpty());
    if (more || toClose || (!outbound.isEmpty() && sink.isReady())) {
      scheduleDrain();
    }
  }

  private void finishClose(Status end) {
    closed = true;
    outbound.clear();
    pendingCount.set(0);
    pendingBytes.set(0);
    sink.close(end);
  }
}
