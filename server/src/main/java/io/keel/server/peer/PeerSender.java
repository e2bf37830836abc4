package io.keel.server.peer;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.keel.proto.peer.PeerBatch;
import io.keel.proto.peer.PeerStreamEnd;
import io.keel.proto.peer.RaftPeerGrpc;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends to one peer. Fast path: when the stream is open and ready and nothing is queued, {@link #sendNow} writes
 * the caller's messages to the stream itself, as one {@link PeerBatch} (saves a thread hand-off per message,
 * which costs milliseconds on a busy machine). Otherwise callers enqueue into a bounded queue and never wait;
 * one thread drains it in batches, opens the stream and reconnects with exponential backoff. When the peer is
 * down, or its open stream stays held by flow control for {@link PeerLimits#congestedWaitMs}, the batch is
 * dropped and counted (a live but slow peer thus loses nothing until the queue fills: a dropped forwarded
 * proposal costs its client the whole request timeout): Raft retries through its own heartbeats
 * and probes, so a slow or dead peer never blocks the leader. Order is kept: the fast path is taken only when
 * every queued message has been written, and writes are serialized by {@code writeLock} (held only around the
 * non-blocking gRPC write).
 *
 * <p>Every stream starts with an empty batch (a hello naming this member), and an idle sender keeps one open
 * (re-opening a failed one every {@code backoffMaxMs}): a peer answers at once if the cluster removed this member
 * ({@link RemovedRefusal}), and that answer, and no other error, is reported to {@code onRemoved}.
 */
final class PeerSender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerSender.class);

  private final long clusterId;
  private final long localId;
  private final long peerId;
  private final URI url;
  private final PeerLimits limits;
  private final LongConsumer onUnreachable;
  private final LongConsumer onRemoved;
  private final BlockingQueue<byte[]> queue;
  private final ManagedChannel channel;
  private final Thread thread;
  private final Counter sentMessages;
  private final Counter sentBatches;
  private final Counter droppedFull;
  private final Counter droppedDown;
  private final Counter droppedCongested;

  private final Counter sentInline;
  /** Serializes writes to the stream (gRPC's observer is not thread-safe); never held while waiting. */
  private final Object writeLock = new Object();
  /** Messages queued but not yet written or dropped; incremented before offer, decremented under writeLock. */
  private final java.util.concurrent.atomic.AtomicInteger outstanding = new java.util.concurrent.atomic.AtomicInteger();

  private volatile boolean running = true;
  private volatile StreamState stream;
  private long backoffMs;
  private long nextAttemptNanos = System.nanoTime();
  /** When an idle sender may re-open a failed stream (sender thread only). */
  private long nextProbeNanos = System.nanoTime();
  /** Since when the peer has been connected without a break (System.nanoTime), 0 while it is not. */
  private volatile long activeSinceNanos;

  /** One gRPC client stream and whether it has failed. */
  private static final class StreamState {
    volatile ClientCallStreamObserver<PeerBatch> requests;
    volatile boolean broken;
    volatile boolean used;

    /** Waits up to {@code waitMs} for gRPC flow control to accept more; false if it did not. */
    synchronized boolean awaitReady(long waitMs) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (!broken && !requests.isReady()) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) {
          return false;
        }
        wait(leftMs);
      }
      return !broken;
    }

    synchronized void signal() {
      notifyAll();
    }
  }

  /** How long a fresh stream may take to connect before its first batch is dropped. */
  private static final long CONNECT_WAIT_MS = 1000;

  PeerSender(long clusterId, long localId, long peerId, URI url, PeerLimits limits, LongConsumer onUnreachable,
      LongConsumer onRemoved, MeterRegistry registry) {
    this.clusterId = clusterId;
    this.localId = localId;
    this.peerId = peerId;
    this.url = url;
    this.limits = limits;
    this.onUnreachable = onUnreachable;
    this.onRemoved = onRemoved;
    this.queue = new ArrayBlockingQueue<>(limits.queueCapacityMessages());
    this.channel = NettyChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext()
        .maxInboundMessageSize(limits.maxInboundBytes())
        .keepAliveTime(10, TimeUnit.SECONDS).keepAliveTimeout(5, TimeUnit.SECONDS)
        .build();
    String peer = Long.toHexString(peerId);
    this.sentMessages = Counter.builder("keel.peer.sent.messages").tag("peer", peer).register(registry);
    this.sentBatches = Counter.builder("keel.peer.sent.batches").tag("peer", peer).register(registry);
    this.sentInline = Counter.builder("keel.peer.sent.inline.batches").tag("peer", peer)
        .description("batches written by the caller's thread (no hand-off to the sender thread)").register(registry);
    this.droppedFull = Counter.builder("keel.peer.dropped").tag("peer", peer).tag("reason", "queue_full")
        .register(registry);
    this.droppedDown = Counter.builder("keel.peer.dropped").tag("peer", peer).tag("reason", "unreachable")
        .register(registry);
    this.droppedCongested = Counter.builder("keel.peer.dropped").tag("peer", peer).tag("reason", "congested")
        .register(registry);
    this.backoffMs = limits.backoffInitialMs();
    this.thread = new Thread(this::run, "keel-peer-send-" + peer);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Queues one encoded message; returns false (and counts a drop) when the queue is full. Never blocks. */
  boolean send(byte[] message) {
    checkSize(message);
    outstanding.incrementAndGet();
    if (!queue.offer(message)) {
      outstanding.decrementAndGet();
      droppedFull.increment();
      return false;
    }
    return true;
  }

  /**
   * Sends {@code messages} in order: written on the calling thread when the stream is open and ready and nothing
   * is queued before them, else queued (each counted as a drop if the queue is full). Never blocks; returns how
   * many were written or queued.
   */
  int sendNow(List<byte[]> messages) {
    for (byte[] m : messages) {
      checkSize(m);
    }
    StreamState s = stream;
    if (s != null && s.used && !s.broken && outstanding.get() == 0) {
      synchronized (writeLock) {
        if (outstanding.get() == 0 && !s.broken && s.requests.isReady()) {
          int from = 0;
          while (from < messages.size()) {
            int to = batchEnd(messages, from);
            write(s, messages.subList(from, to));
            from = to;
          }
          sentInline.increment();
          return messages.size();
        }
      }
    }
    int queued = 0;
    for (byte[] m : messages) {
      if (send(m)) {
        queued++;
      }
    }
    return queued;
  }

  /** End (exclusive) of the batch starting at {@code from} within the batch limits; at least one message. */
  private int batchEnd(List<byte[]> messages, int from) {
    int bytes = messages.get(from).length;
    int to = from + 1;
    while (to < messages.size() && to - from < limits.maxBatchMessages()
        && bytes + messages.get(to).length <= limits.maxBatchBytes()) {
      bytes += messages.get(to).length;
      to++;
    }
    return to;
  }

  private void checkSize(byte[] message) {
    if (message.length > limits.maxMessageBytes()) {
      throw new IllegalArgumentException("peer message of " + message.length + " bytes exceeds maxMessageBytes "
          + limits.maxMessageBytes());
    }
  }

  int queued() {
    return queue.size();
  }

  private void run() {
    List<byte[]> batch = new ArrayList<>(limits.maxBatchMessages());
    while (running) {
      try {
        byte[] first = queue.poll(100, TimeUnit.MILLISECONDS);
        trackActivity();
        if (first == null) {
          keepConnected();
          continue;
        }
        batch.clear();
        batch.add(first);
        int bytes = first.length;
        while (batch.size() < limits.maxBatchMessages()) {
          byte[] next = queue.peek();
          if (next == null || bytes + next.length > limits.maxBatchBytes()) {
            break;
          }
          batch.add(queue.poll());
          bytes += next.length;
        }
        try {
          deliver(batch);
        } finally {
          synchronized (writeLock) {
            outstanding.addAndGet(-batch.size());
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("peer {} sender: unexpected error, stream reset", Long.toHexString(peerId), e);
        resetStream();
      }
    }
  }

  private void deliver(List<byte[]> batch) throws InterruptedException {
    StreamState s = currentStream();
    if (s == null || !s.awaitReady(s.used ? limits.congestedWaitMs() : CONNECT_WAIT_MS)) {
      (s != null && s.used && !s.broken ? droppedCongested : droppedDown).increment(batch.size());
      if (s != null && s.broken) {
        resetStream();
      }
      return;
    }
    synchronized (writeLock) {
      write(s, batch);
      s.used = true;
    }
    if (channel.getState(false) == io.grpc.ConnectivityState.READY) {
      backoffMs = limits.backoffInitialMs();
    }
  }

  /**
   * Idle: keeps a stream open, so a peer can answer this member even when Raft has nothing to send (a removed
   * learner, a member restarted after its removal). A failed idle stream is dropped and re-opened every
   * {@code backoffMaxMs}; it neither grows the backoff Raft's messages wait for nor reports the peer unreachable
   * (no message was lost), so a member whose peers start later sends to them as soon as they are up.
   */
  private void keepConnected() {
    StreamState s = stream;
    long now = System.nanoTime();
    if (s != null && s.broken) {
      dropStream();
      nextProbeNanos = now + TimeUnit.MILLISECONDS.toNanos(limits.backoffMaxMs());
    } else if (s == null && now - nextProbeNanos >= 0 && now - nextAttemptNanos >= 0) {
      currentStream();
    }
  }

  /**
   * Since when (System.nanoTime) this peer has been connected without a break, 0 while it is not: etcd's
   * rafthttp ActiveSince, which its strict reconfiguration checks read. Sampled by the sender thread at least
   * every 100 ms (when idle) and after every batch; a stream that fails or a channel that leaves READY resets it.
   */
  long activeSinceNanos() {
    return activeSinceNanos;
  }

  private void trackActivity() {
    StreamState s = stream;
    boolean up = s != null && !s.broken && channel.getState(false) == io.grpc.ConnectivityState.READY;
    if (!up) {
      activeSinceNanos = 0;
    } else if (activeSinceNanos == 0) {
      long now = System.nanoTime();
      activeSinceNanos = now == 0 ? 1 : now;
    }
  }

  /** Writes one batch to the stream; caller holds writeLock. gRPC's write does not block. */
  private void write(StreamState s, List<byte[]> batch) {
    PeerBatch.Builder b = PeerBatch.newBuilder().setClusterId(clusterId).setFrom(localId).setTo(peerId);
    for (byte[] m : batch) {
      b.addMessages(ByteString.copyFrom(m));
    }
    s.requests.onNext(b.build());
    sentBatches.increment();
    sentMessages.increment(batch.size());
  }

  /** The open stream, opening one if the backoff allows; null while the peer is considered down. */
  private StreamState currentStream() {
    StreamState s = stream;
    if (s != null && !s.broken) {
      return s;
    }
    long now = System.nanoTime();
    if (now - nextAttemptNanos < 0) {
      return null;
    }
    if (channel.getState(false) == io.grpc.ConnectivityState.TRANSIENT_FAILURE) {
      // gRPC backs off its own reconnects up to 2 min: a peer back after a long outage would wait for that
      // timer. This sender's backoff (at most backoffMaxMs) decides when to try again.
      channel.resetConnectBackoff();
    }
    StreamState fresh = new StreamState();
    RaftPeerGrpc.newStub(channel).stream(new ClientResponseObserver<PeerBatch, PeerStreamEnd>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<PeerBatch> requests) {
        fresh.requests = requests;
        requests.setOnReadyHandler(fresh::signal);
      }

      @Override
      public void onNext(PeerStreamEnd value) {}

      @Override
      public void onError(Throwable t) {
        fresh.broken = true;
        fresh.signal();
        LOG.debug("peer {} stream failed: {}", Long.toHexString(peerId), t.toString());
        if (RemovedRefusal.names(t, localId)) {
          onRemoved.accept(peerId);
        }
      }

      @Override
      public void onCompleted() {
        fresh.broken = true;
        fresh.signal();
      }
    });
    stream = fresh;
    synchronized (writeLock) { // the hello: an empty batch naming this member, checked by the peer at once
      fresh.requests.onNext(PeerBatch.newBuilder().setClusterId(clusterId).setFrom(localId).setTo(peerId).build());
    }
    return fresh;
  }

  /** Drops the stream after a lost batch: the next one is opened after the backoff; Raft learns the peer is down. */
  private void resetStream() {
    dropStream();
    nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
    backoffMs = Math.min(backoffMs * 2, limits.backoffMaxMs());
    onUnreachable.accept(peerId);
  }

  /** Cancels and forgets the current stream. */
  private void dropStream() {
    StreamState s = stream;
    stream = null;
    if (s != null && s.requests != null) {
      try {
        synchronized (writeLock) {
          s.requests.cancel("reset", null);
        }
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    StreamState s = stream;
    if (s != null && s.requests != null && !s.broken) {
      try {
        synchronized (writeLock) {
          s.requests.onCompleted();
        }
      } catch (RuntimeException ignored) {
        // the stream already failed
      }
    }
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "PeerSender{" + Long.toHexString(peerId) + " at " + url + "}";
  }
}
