package io.keel.server.peer;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.keel.proto.peer.RaftPeerGrpc;
import io.keel.proto.peer.SnapshotAck;
import io.keel.proto.peer.SnapshotChunk;
import io.keel.proto.peer.SnapshotFile;
import io.keel.proto.peer.SnapshotMeta;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one snapshot to one follower on a connection of its own (so the peer's message stream, and its
 * heartbeats, keep flowing), in chunks of at most {@link SnapshotLimits#chunkBytes()}, waiting on gRPC flow
 * control between chunks. At most one send per follower at a time; each runs on its own short-lived thread and
 * is bounded by {@link SnapshotLimits#timeoutMs()}. The outcome goes to the callback (Raft's reportSnapshot).
 * Before a stream opens, every file is checked against its recorded size and CRC32C: a snapshot damaged on disk is
 * never sent (the send fails, logged naming the file; later sends of the same snapshot fail at once).
 */
public final class SnapshotSender {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotSender.class);

  /** Receives the outcome of one send: true when the follower verified and accepted every byte. */
  public interface Outcome {
    void done(long peer, boolean ok);
  }

  private final long clusterId;
  private final long localId;
  private final SnapshotLimits limits;
  private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
  private final Counter bytesSent;
  private final Counter sendsOk;
  private final Counter sendsFailed;
  private final Timer duration;
  private final Timer checksum;
  /** Snapshot directories found damaged, with why (bounded: cleared when full). */
  private final Map<Path, String> damaged = new ConcurrentHashMap<>();
  private static final int MAX_DAMAGED = 16;
  private volatile boolean closed;

  SnapshotSender(long clusterId, long localId, SnapshotLimits limits, MeterRegistry registry) {
    this.clusterId = clusterId;
    this.localId = localId;
    this.limits = limits;
    this.bytesSent = Counter.builder("keel.snapshot.sent.bytes").register(registry);
    this.sendsOk = Counter.builder("keel.snapshot.sends").tag("result", "ok").register(registry);
    this.sendsFailed = Counter.builder("keel.snapshot.sends").tag("result", "failed").register(registry);
    this.duration = Timer.builder("keel.snapshot.send.duration").register(registry);
    this.checksum = SnapshotChecksums.timer(registry, "send");
  }

  /**
   * Starts sending the files of {@code dir} described by {@code meta}, headed by the Raft SNAP message; false
   * (and no callback) if a send to this peer is already under way.
   */
  boolean send(long peer, URI url, SnapshotMeta meta, Path dir, byte[] raftMessage, Outcome outcome) {
    if (closed || !inFlight.add(peer)) {
      return false;
    }
    Thread t = new Thread(() -> {
      long start = System.nanoTime();
      boolean ok = false;
      try {
        if (!intact(peer, meta, dir)) {
          return;
        }
        long bytes = stream(peer, url, meta, dir, raftMessage);
        ok = true;
        LOG.info("sent snapshot {} ({} bytes in {} files) to {} in {} ms", meta.getIndex(), bytes,
            meta.getFilesCount(), Long.toHexString(peer), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.warn("sending snapshot {} to {} failed: {}", meta.getIndex(), Long.toHexString(peer), e.toString());
      } finally {
        duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        (ok ? sendsOk : sendsFailed).increment();
        inFlight.remove(peer);
        outcome.done(peer, ok);
      }
    }, "keel-snapshot-send-" + Long.toHexString(peer));
    t.setDaemon(true);
    t.start();
    return true;
  }

  /** Checks the snapshot's files before anything is sent; false (logged, naming the file) when one is damaged. */
  private boolean intact(long peer, SnapshotMeta meta, Path dir) {
    String known = damaged.get(dir);
    if (known != null) {
      LOG.warn("not sending snapshot {} to {}: it is damaged on disk ({})", meta.getIndex(), Long.toHexString(peer),
          known);
      return false;
    }
    long start = System.nanoTime();
    try {
      int unchecked = SnapshotChecksums.verify(dir, meta, true);
      if (unchecked > 0) {
        LOG.info("snapshot {}: {} of {} files have no recorded CRC32C; sending them unchecked", meta.getIndex(),
            unchecked, meta.getFilesCount());
      }
      return true;
    } catch (IOException e) {
      if (damaged.size() >= MAX_DAMAGED) {
        damaged.clear();
      }
      damaged.put(dir, e.getMessage());
      LOG.error("not sending snapshot {} to {}: {}", meta.getIndex(), Long.toHexString(peer), e.getMessage());
      return false;
    } finally {
      checksum.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  private long stream(long peer, URI url, SnapshotMeta meta, Path dir, byte[] raftMessage) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext()
        .maxInboundMessageSize(64 * 1024).build();
    try {
      Flow flow = new Flow();
      RaftPeerGrpc.newStub(channel).withDeadlineAfter(limits.timeoutMs(), TimeUnit.MILLISECONDS)
          .withWaitForReady().snapshot(flow);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.timeoutMs());
      flow.put(SnapshotChunk.newBuilder().setClusterId(clusterId).setFrom(localId).setTo(peer).setMeta(meta)
          .setRaftMessage(ByteString.copyFrom(raftMessage)).build(), deadline);
      MessageDigest sha = sha256();
      long total = 0;
      byte[] buf = new byte[limits.chunkBytes()];
      for (int f = 0; f < meta.getFilesCount(); f++) {
        SnapshotFile file = meta.getFiles(f);
        CRC32C crc = new CRC32C();
        long sent = 0;
        try (InputStream in = Files.newInputStream(dir.resolve(file.getName()))) {
          while (true) {
            int n = in.readNBytes(buf, 0, buf.length);
            sent += n;
            if (sent > file.getSizeBytes()) {
              throw new IOException(dir.resolve(file.getName()) + " grew past its recorded size "
                  + file.getSizeBytes());
            }
            crc.update(buf, 0, n);
            sha.update(buf, 0, n);
            boolean end = n < buf.length || sent == file.getSizeBytes();
            SnapshotChunk.Builder c = SnapshotChunk.newBuilder().setFile(f).setData(ByteString.copyFrom(buf, 0, n));
            if (end) {
              if (file.hasCrc32C() && file.getCrc32C() != (int) crc.getValue()) {
                throw new IOException("snapshot file " + dir.resolve(file.getName())
                    + " is corrupt (CRC32C mismatch) while it was being sent");
              }
              c.setFileEnd(true).setFileCrc32C((int) crc.getValue());
            }
            flow.put(c.build(), deadline);
            bytesSent.increment(n);
            total += n;
            if (end) {
              break;
            }
          }
        }
        if (sent != file.getSizeBytes()) {
          throw new IOException(dir.resolve(file.getName()) + " holds " + sent + " bytes, its snapshot records "
              + file.getSizeBytes());
        }
      }
      flow.put(SnapshotChunk.newBuilder().setSha256(ByteString.copyFrom(sha.digest())).build(), deadline);
      flow.requests.onCompleted();
      flow.result.get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
          TimeUnit.MILLISECONDS);
      return total;
    } finally {
      channel.shutdownNow();
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The client side of one snapshot stream: flow control and the receiver's answer. */
  private static final class Flow implements ClientResponseObserver<SnapshotChunk, SnapshotAck> {
    volatile ClientCallStreamObserver<SnapshotChunk> requests;
    final CompletableFuture<SnapshotAck> result = new CompletableFuture<>();

    @Override
    public void beforeStart(ClientCallStreamObserver<SnapshotChunk> r) {
      requests = r;
      r.setOnReadyHandler(this::signal);
    }

    private synchronized void signal() {
      notifyAll();
    }

    /** Sends one chunk once flow control allows; fails past the deadline or when the call ended. */
    void put(SnapshotChunk c, long deadlineNanos) throws Exception {
      synchronized (this) {
        while (!requests.isReady()) {
          if (result.isDone()) {
            result.get(); // throws the receiver's reason
            throw new IOException("the receiver ended the snapshot stream early");
          }
          long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
          if (leftMs <= 0) {
            requests.cancel("snapshot send timed out", null);
            throw new IOException("snapshot send timed out waiting for flow control");
          }
          wait(Math.min(leftMs, 100));
        }
      }
      requests.onNext(c);
    }

    @Override
    public void onNext(SnapshotAck value) {
      result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
      signal();
    }

    @Override
    public void onCompleted() {
      if (!result.isDone()) {
        result.completeExceptionally(new IOException("snapshot stream ended without an answer"));
      }
      signal();
    }
  }

  void close() {
    closed = true;
  }
}
