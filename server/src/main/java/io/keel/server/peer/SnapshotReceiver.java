package io.keel.server.peer;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.keel.proto.peer.SnapshotAck;
import io.keel.proto.peer.SnapshotChunk;
import io.keel.proto.peer.SnapshotFile;
import io.keel.proto.peer.SnapshotMeta;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of snapshot streams. One install at a time (a second stream is refused while the first is
 * live; one older than the timeout is taken over). Checks every bound before writing: the declared total size
 * and file count, safe file names, each chunk's size and file order; then each file's size and CRC32C and the
 * whole stream's SHA-256. Only a fully verified snapshot reaches the {@link SnapshotSink}.
 */
final class SnapshotReceiver {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotReceiver.class);

  private final long clusterId;
  private final long localId;
  private final SnapshotLimits limits;
  private final SnapshotSink sink;
  private final java.util.function.LongPredicate removed;
  /** Generation of the install that holds the slot (0 = free) and when it started. */
  private final AtomicLong owner = new AtomicLong();
  private volatile long ownerSinceNanos;
  private final AtomicLong generations = new AtomicLong();
  private final Counter bytesReceived;
  private final Counter installsOk;
  private final Counter installsRefused;

  SnapshotReceiver(long clusterId, long localId, SnapshotLimits limits, SnapshotSink sink,
      java.util.function.LongPredicate removed, MeterRegistry registry) {
    this.clusterId = clusterId;
    this.localId = localId;
    this.limits = limits;
    this.sink = sink;
    this.removed = removed;
    this.bytesReceived = Counter.builder("keel.snapshot.received.bytes").register(registry);
    this.installsOk = Counter.builder("keel.snapshot.receives").tag("result", "ok").register(registry);
    this.installsRefused = Counter.builder("keel.snapshot.receives").tag("result", "failed").register(registry);
  }

  StreamObserver<SnapshotChunk> open(StreamObserver<SnapshotAck> response) {
    return new Install(response);
  }

  private boolean acquire(long gen) {
    long cur = owner.get();
    if (cur != 0 && System.nanoTime() - ownerSinceNanos < TimeUnit.MILLISECONDS.toNanos(limits.timeoutMs())) {
      return false;
    }
    if (!owner.compareAndSet(cur, gen)) {
      return false;
    }
    ownerSinceNanos = System.nanoTime();
    return true;
  }

  /** One inbound snapshot stream. gRPC calls its methods one at a time. */
  private final class Install implements StreamObserver<SnapshotChunk> {
    private final StreamObserver<SnapshotAck> response;
    private final long gen = generations.incrementAndGet();
    private final MessageDigest sha = SnapshotSender.sha256();
    private SnapshotMeta meta;
    private byte[] raftMessage;
    private Path dir;
    private int file;
    private FileChannel out;
    private long fileBytes;
    private CRC32C crc;
    private long total;
    private boolean finished;
    private boolean done;

    Install(StreamObserver<SnapshotAck> response) {
      this.response = response;
    }

    @Override
    public void onNext(SnapshotChunk c) {
      if (done) {
        return;
      }
      try {
        if (meta == null) {
          begin(c);
        } else if (owner.get() != gen) {
          throw Status.ABORTED.withDescription("keel: snapshot install taken over after its timeout")
              .asRuntimeException();
        } else if (!c.getSha256().isEmpty()) {
          finish(c);
        } else {
          data(c);
        }
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    private void begin(SnapshotChunk c) throws IOException {
      if (c.getClusterId() == clusterId && removed.test(c.getFrom())) {
        throw RemovedRefusal.of(c.getFrom()); // a removed member's snapshot never replaces this member's state
      }
      if (c.getClusterId() != clusterId || c.getTo() != localId) {
        throw invalid("cluster id or member id mismatch");
      }
      SnapshotMeta m = c.getMeta();
      if (m.getIndex() == 0 || c.getRaftMessage().isEmpty()) {
        throw invalid("the first chunk must carry the snapshot's description and Raft message");
      }
      if (m.getFilesCount() > limits.maxFiles()) {
        throw invalid("snapshot of " + m.getFilesCount() + " files exceeds the limit of " + limits.maxFiles());
      }
      long declared = 0;
      for (SnapshotFile f : m.getFilesList()) {
        String n = f.getName();
        if (n.isEmpty() || n.contains("/") || n.contains("\\") || n.startsWith(".") || n.length() > 255) {
          throw invalid("unsafe file name in snapshot: '" + n + "'");
        }
        declared += f.getSizeBytes();
      }
      if (declared < 0 || declared > limits.maxSnapshotBytes()) {
        throw invalid("snapshot of " + declared + " bytes exceeds the limit of " + limits.maxSnapshotBytes());
      }
      if (!acquire(gen)) {
        throw Status.RESOURCE_EXHAUSTED.withDescription("keel: another snapshot install is in progress")
            .asRuntimeException();
      }
      meta = m;
      raftMessage = c.getRaftMessage().toByteArray();
      dir = sink.prepare(m);
      LOG.info("receiving snapshot {} ({} bytes, {} files) from {}", m.getIndex(), declared, m.getFilesCount(),
          Long.toHexString(c.getFrom()));
      openFile(0);
    }

    private void openFile(int f) throws IOException {
      file = f;
      fileBytes = 0;
      crc = new CRC32C();
      out = f < meta.getFilesCount() ? FileChannel.open(dir.resolve(meta.getFiles(f).getName()),
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE) : null;
    }

    private void data(SnapshotChunk c) throws IOException {
      if (out == null || c.getFile() != file) {
        throw invalid("chunk for file " + c.getFile() + " while expecting file " + file);
      }
      int n = c.getData().size();
      if (n > limits.chunkBytes()) {
        throw invalid("chunk of " + n + " bytes exceeds " + limits.chunkBytes());
      }
      SnapshotFile f = meta.getFiles(file);
      if (fileBytes + n > f.getSizeBytes()) {
        throw invalid("file " + f.getName() + " exceeds its declared " + f.getSizeBytes() + " bytes");
      }
      ByteBuffer b = c.getData().asReadOnlyByteBuffer();
      crc.update(b.duplicate());
      sha.update(b.duplicate());
      while (b.hasRemaining()) {
        out.write(b);
      }
      fileBytes += n;
      total += n;
      bytesReceived.increment(n);
      if (c.getFileEnd()) {
        if (fileBytes != f.getSizeBytes() || (int) crc.getValue() != c.getFileCrc32C()
            || (f.hasCrc32C() && f.getCrc32C() != c.getFileCrc32C())) {
          throw invalid("file " + f.getName() + " arrived damaged: " + fileBytes + " of " + f.getSizeBytes()
              + " bytes, CRC32C " + Integer.toHexString((int) crc.getValue()) + " expected "
              + Integer.toHexString(c.getFileCrc32C()) + (f.hasCrc32C() ? ", recorded "
              + Integer.toHexString(f.getCrc32C()) : ""));
        }
        out.force(true);
        out.close();
        openFile(file + 1);
      }
    }

    private void finish(SnapshotChunk c) throws IOException {
      if (out != null) {
        throw invalid("the stream ended before file " + meta.getFiles(file).getName() + " was complete");
      }
      if (!Arrays.equals(sha.digest(), c.getSha256().toByteArray())) {
        throw invalid("the snapshot's SHA-256 does not match its bytes");
      }
      finished = true;
    }

    @Override
    public void onError(Throwable t) {
      if (!done) {
        LOG.warn("snapshot stream broke off: {}", t.toString());
        cleanup(false);
      }
    }

    @Override
    public void onCompleted() {
      if (done) {
        return;
      }
      try {
        if (!finished) {
          throw invalid("the stream ended before its checksum");
        }
        sink.complete(meta, dir, raftMessage);
        dir = null; // now the sink's
        cleanup(true);
        response.onNext(SnapshotAck.newBuilder().setReceivedBytes(total).build());
        response.onCompleted();
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    private void fail(Exception e) {
      LOG.warn("refusing snapshot {}: {}", meta == null ? "?" : meta.getIndex(), e.getMessage());
      cleanup(false);
      response.onError(e instanceof io.grpc.StatusRuntimeException sre ? sre // keeps its trailers
          : Status.INTERNAL.withDescription("keel: snapshot install failed: " + e.getMessage()).asRuntimeException());
    }

    private void cleanup(boolean ok) {
      done = true;
      (ok ? installsOk : installsRefused).increment();
      if (out != null) {
        try {
          out.close();
        } catch (IOException ignored) {
          // the directory goes anyway
        }
      }
      if (dir != null) {
        sink.abort(dir);
      }
      owner.compareAndSet(gen, 0);
    }

    private RuntimeException invalid(String why) {
      return Status.INVALID_ARGUMENT.withDescription("keel: " + why).asRuntimeException();
    }
  }
}
