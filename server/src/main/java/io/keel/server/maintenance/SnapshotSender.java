package io.keel.server.maintenance;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.keel.kvstore.MvccStore;
import io.keel.kvstore.StoreSnapshot;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.SnapshotResponse;
import io.keel.server.api.GrpcErrors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one {@link StoreSnapshot} to an etcd client (Maintenance.Snapshot) in chunks of {@code chunkBytes},
 * each with etcd's remaining_bytes, as fast as the client reads (gRPC flow control: a chunk is produced only
 * when the call is ready, so at most a chunk or two sit in memory). The stream's last 32 bytes are the
 * SHA-256 trailer etcdctl checks. A cancelled call releases the RocksDB snapshot.
 */
public final class SnapshotSender {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotSender.class);
  public static final int DEFAULT_CHUNK_BYTES = 32 << 10;

  private final StoreSnapshot snapshot;
  private final ServerCallStreamObserver<SnapshotResponse> call;
  private final ResponseHeader header;
  private final byte[] buf;
  private final Counter sentBytes;
  private boolean done;

  private SnapshotSender(StoreSnapshot snapshot, ServerCallStreamObserver<SnapshotResponse> call,
      ResponseHeader header, int chunkBytes, Counter sentBytes) {
    this.snapshot = snapshot;
    this.call = call;
    this.header = header;
    this.buf = new byte[chunkBytes];
    this.sentBytes = sentBytes;
  }

  /** Takes the snapshot and starts streaming it; call from the RPC handler. */
  public static void start(MvccStore store, ServerCallStreamObserver<SnapshotResponse> call, ResponseHeader header,
      int chunkBytes, MeterRegistry registry) {
    if (chunkBytes < 512 || chunkBytes > (4 << 20)) {
      throw new IllegalArgumentException("chunkBytes must be in [512, 4 MiB]");
    }
    StoreSnapshot snap = StoreSnapshot.open(store);
    LOG.info("sending a snapshot at revision {} (applied index {}): {} bytes", snap.revision(),
        snap.appliedIndex(), snap.totalBytes());
    SnapshotSender s = new SnapshotSender(snap, call, header, chunkBytes,
        Counter.builder("keel.snapshot.sent.bytes").description("bytes of client snapshots sent").register(registry));
    call.setOnCancelHandler(s::cancel);
    call.setOnReadyHandler(s::pump);
    s.pump();
  }

  private synchronized void pump() {
    try {
      while (!done && call.isReady()) {
        int n = snapshot.read(buf, 0, buf.length);
        if (n < 0) {
          done = true;
          snapshot.close();
          call.onCompleted();
          return;
        }
        call.onNext(SnapshotResponse.newBuilder().setHeader(header).setRemainingBytes(snapshot.remainingBytes())
            .setBlob(ByteString.copyFrom(buf, 0, n)).build());
        sentBytes.increment(n);
      }
    } catch (RuntimeException e) {
      done = true;
      snapshot.close();
      LOG.warn("snapshot stream failed: {}", e.toString());
      call.onError(GrpcErrors.toStatus(e));
    }
  }

  private synchronized void cancel() {
    done = true;
    snapshot.close();
  }
}
