package io.keel.server.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.keel.proto.peer.RaftPeerGrpc;
import io.keel.proto.peer.SnapshotAck;
import io.keel.proto.peer.SnapshotChunk;
import io.keel.proto.peer.SnapshotFile;
import io.keel.proto.peer.SnapshotMeta;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot streams between two transports on real loopback sockets, and a receiver fed crafted streams. */
class SnapshotStreamTest {
  static final long CLUSTER = 0xC1;
  @TempDir Path dir;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final List<Path> completed = new CopyOnWriteArrayList<>();
  final List<Path> aborted = new CopyOnWriteArrayList<>();
  PeerTransport a;
  PeerTransport b;
  Server serverB;
  ManagedChannel raw;
  int port;

  /** Receives into dir/in-N; records completed and aborted transfers. */
  final SnapshotSink sink = new SnapshotSink() {
    int n;

    @Override
    public synchronized Path prepare(SnapshotMeta meta) throws IOException {
      return Files.createDirectories(dir.resolve("in-" + (n++)));
    }

    @Override
    public void complete(SnapshotMeta meta, Path d, byte[] raftMessage) {
      assertThat(raftMessage).containsExactly(9, 9, 9);
      completed.add(d);
    }

    @Override
    public void abort(Path d) {
      aborted.add(d);
    }
  };

  @BeforeEach
  void start() throws IOException {
    port = PeerTransportTest.freePort();
    b = new PeerTransport(CLUSTER, 2, PeerLimits.DEFAULT, (from, m) -> true, id -> { }, registry);
    b.receiveSnapshotsInto(sink);
    serverB = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .maxInboundMessageSize(b.maxInboundBytes()).addService(b.service()).build().start();
    a = new PeerTransport(CLUSTER, 1, PeerLimits.DEFAULT, (from, m) -> true, id -> { }, registry);
    a.addPeer(2, URI.create("http://127.0.0.1:" + port));
    raw = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    raw.shutdownNow();
    a.close();
    b.close();
    serverB.shutdownNow();
  }

  SnapshotMeta writeFiles(Path src, long... sizes) throws IOException {
    Files.createDirectories(src);
    Random rnd = new Random(42);
    SnapshotMeta.Builder m = SnapshotMeta.newBuilder().setIndex(77).setTerm(3);
    for (int i = 0; i < sizes.length; i++) {
      byte[] data = new byte[(int) sizes[i]];
      rnd.nextBytes(data);
      Files.write(src.resolve("f" + i + ".sst"), data);
      CRC32C crc = new CRC32C();
      crc.update(data);
      m.addFiles(SnapshotFile.newBuilder().setName("f" + i + ".sst").setSizeBytes(sizes[i])
          .setCrc32C((int) crc.getValue()));
    }
    return m.build();
  }

  @Test
  void filesArriveIdenticalInChunksAndTheOutcomeIsReported() throws Exception {
    Path src = dir.resolve("src");
    SnapshotMeta meta = writeFiles(src, 0, 1, 1 << 20, (5 << 19) + 3);
    CompletableFuture<Boolean> outcome = new CompletableFuture<>();
    assertThat(a.sendSnapshot(2, meta, src, new byte[] {9, 9, 9}, (peer, ok) -> outcome.complete(ok))).isTrue();
    assertThat(a.sendSnapshot(2, meta, src, new byte[] {9, 9, 9}, (peer, ok) -> { }))
        .as("one send per follower at a time").isFalse();
    assertThat(outcome.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(completed).hasSize(1);
    for (SnapshotFile f : meta.getFilesList()) {
      assertThat(Files.readAllBytes(completed.get(0).resolve(f.getName())))
          .isEqualTo(Files.readAllBytes(src.resolve(f.getName())));
    }
    assertThat(registry.get("keel.snapshot.sent.bytes").counter().count()).isEqualTo((1 << 20) + (5 << 19) + 4);
    assertThat(registry.get("keel.snapshot.received.bytes").counter().count()).isEqualTo((1 << 20) + (5 << 19) + 4);
  }

  @Test
  void aSnapshotFromARemovedMemberIsRefusedAndNeverInstalled() throws Exception {
    b.removedMembers(List.of(1L));
    Path src = dir.resolve("src");
    SnapshotMeta meta = writeFiles(src, 1000);
    CompletableFuture<Boolean> outcome = new CompletableFuture<>();
    assertThat(a.sendSnapshot(2, meta, src, new byte[] {9, 9, 9}, (peer, ok) -> outcome.complete(ok))).isTrue();
    assertThat(outcome.get(30, TimeUnit.SECONDS)).isFalse();
    assertThat(completed).isEmpty();
    Status refused = rawStream(header(meta("a.sst", 4)));
    assertThat(refused.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(refused.getDescription()).contains("member 1 has been permanently removed from the cluster");
  }

  @Test
  void aFileThatDoesNotMatchItsRecordedSizeFailsTheSend() throws Exception {
    Path src = dir.resolve("src");
    SnapshotMeta meta = writeFiles(src, 1000);
    SnapshotMeta lying = meta.toBuilder().setFiles(0, meta.getFiles(0).toBuilder().setSizeBytes(2000)).build();
    CompletableFuture<Boolean> outcome = new CompletableFuture<>();
    a.sendSnapshot(2, lying, src, new byte[] {9, 9, 9}, (peer, ok) -> outcome.complete(ok));
    assertThat(outcome.get(30, TimeUnit.SECONDS)).isFalse();
    // The sender cancels the call: if the cancel reaches the receiver after the first chunk it aborts the transfer;
    // if it overtakes the chunks still buffered on the client, the receiver never sees the stream. Either way
    // nothing is installed.
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(completed).isEmpty());
    assertThat(aborted).hasSizeLessThanOrEqualTo(1);
  }

  @Test
  void aSnapshotDamagedOnDiskIsNeverSent() throws Exception {
    Path src = dir.resolve("src");
    SnapshotMeta meta = writeFiles(src, 1000, 70_000);
    Path victim = src.resolve("f1.sst");
    byte[] b = Files.readAllBytes(victim);
    b[12_345] ^= 0x20;
    Files.write(victim, b);
    for (int attempt = 0; attempt < 2; attempt++) { // the second fails on what the first found
      CompletableFuture<Boolean> outcome = new CompletableFuture<>();
      assertThat(a.sendSnapshot(2, meta, src, new byte[] {9, 9, 9}, (peer, ok) -> outcome.complete(ok))).isTrue();
      assertThat(outcome.get(30, TimeUnit.SECONDS)).isFalse();
    }
    assertThat(registry.get("keel.snapshot.checksum.duration").tag("phase", "send").timer().count()).isEqualTo(1);
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(completed).isEmpty();
      assertThat(aborted).as("no stream was opened").isEmpty();
    });
    assertThat(registry.get("keel.snapshot.sent.bytes").counter().count()).isZero();
  }

  @Test
  void aReceivedFileNotMatchingItsRecordedChecksumIsRefused() throws Exception {
    byte[] data = {1, 2, 3, 4};
    CRC32C crc = new CRC32C();
    crc.update(data);
    SnapshotMeta recorded = meta("a.sst", 4).toBuilder()
        .setFiles(0, SnapshotFile.newBuilder().setName("a.sst").setSizeBytes(4).setCrc32C((int) crc.getValue() ^ 8))
        .build();
    SnapshotChunk chunk = SnapshotChunk.newBuilder().setFile(0).setData(ByteString.copyFrom(data))
        .setFileEnd(true).setFileCrc32C((int) crc.getValue()).build();
    Status s = rawStream(header(recorded), chunk);
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("a.sst arrived damaged").contains("recorded");
    assertThat(completed).isEmpty();
  }

  /** Sends crafted chunks on a raw stream; returns the receiver's error status. */
  Status rawStream(SnapshotChunk... chunks) throws Exception {
    CompletableFuture<Status> result = new CompletableFuture<>();
    StreamObserver<SnapshotChunk> req = RaftPeerGrpc.newStub(raw).snapshot(new StreamObserver<SnapshotAck>() {
      @Override
      public void onNext(SnapshotAck v) {}

      @Override
      public void onError(Throwable t) {
        result.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        result.complete(Status.OK);
      }
    });
    for (SnapshotChunk c : chunks) {
      req.onNext(c);
    }
    req.onCompleted();
    return result.get(10, TimeUnit.SECONDS);
  }

  static SnapshotChunk header(SnapshotMeta meta) {
    return SnapshotChunk.newBuilder().setClusterId(CLUSTER).setFrom(1).setTo(2).setMeta(meta)
        .setRaftMessage(ByteString.copyFrom(new byte[] {9, 9, 9})).build();
  }

  static SnapshotMeta meta(String name, long size) {
    return SnapshotMeta.newBuilder().setIndex(5).setTerm(1)
        .addFiles(SnapshotFile.newBuilder().setName(name).setSizeBytes(size)).build();
  }

  @Test
  void theReceiverRefusesDamagedOrOutOfBoundsStreams() throws Exception {
    byte[] data = {1, 2, 3, 4};
    CRC32C crc = new CRC32C();
    crc.update(data);
    SnapshotChunk wrongCrc = SnapshotChunk.newBuilder().setFile(0).setData(ByteString.copyFrom(data))
        .setFileEnd(true).setFileCrc32C((int) crc.getValue() ^ 1).build();
    Status s = rawStream(header(meta("a.sst", 4)), wrongCrc);
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("a.sst arrived damaged");

    SnapshotChunk good = wrongCrc.toBuilder().setFileCrc32C((int) crc.getValue()).build();
    s = rawStream(header(meta("a.sst", 4)), good,
        SnapshotChunk.newBuilder().setSha256(ByteString.copyFrom(new byte[32])).build());
    assertThat(s.getDescription()).contains("SHA-256");

    s = rawStream(header(meta("../escape", 4)));
    assertThat(s.getDescription()).contains("unsafe file name");

    s = rawStream(header(meta("big.sst", PeerLimits.DEFAULT.maxBatchBytes() + (80L << 30))));
    assertThat(s.getDescription()).contains("exceeds the limit");

    s = rawStream(header(meta("a.sst", 4)), good.toBuilder().setFile(1).build());
    assertThat(s.getDescription()).contains("expecting file 0");

    s = rawStream(header(meta("a.sst", 4))); // ends before its data and checksum
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(completed).isEmpty();
  }

  @Test
  void aSecondInstallIsRefusedWhileOneIsInProgress() throws Exception {
    StreamObserver<SnapshotChunk> first = RaftPeerGrpc.newStub(raw).snapshot(new StreamObserver<SnapshotAck>() {
      @Override
      public void onNext(SnapshotAck v) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    first.onNext(header(meta("a.sst", 4)));
    await().atMost(Duration.ofSeconds(30)).until(() -> !registry.find("keel.snapshot.receives").counters().isEmpty());
    Thread.sleep(200); // let the first header be processed
    Status s = rawStream(header(meta("b.sst", 4)));
    assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    first.onError(new RuntimeException("sender gives up"));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(aborted).isNotEmpty());
    assertThat(rawStream(header(meta("c.sst", 0)), SnapshotChunk.newBuilder().setFile(0).setFileEnd(true)
        .setFileCrc32C(0).build(), SnapshotChunk.newBuilder().setSha256(ByteString.copyFrom(
        java.security.MessageDigest.getInstance("SHA-256").digest())).build()))
        .as("the slot is free again once the first broke off").isEqualTo(Status.OK);
    assertThat(completed).hasSize(1);
  }
}
