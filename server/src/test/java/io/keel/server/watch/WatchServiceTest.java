package io.keel.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import io.keel.server.KeelServer;
import io.keel.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Watch gRPC service of a real single member, through etcd's generated stubs. */
class WatchServiceTest {
  @TempDir Path dir;
  KeelServer server;
  ManagedChannel channel;
  KVGrpc.KVBlockingStub kv;
  ServerConfig config;

  static int freePort() throws IOException {
    return io.keel.server.TestPorts.free();
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @BeforeEach
  void start() throws Exception {
    int port = freePort();
    ServerConfig c = new ServerConfig("m1", dir, ServerConfig.parseUrls("c", "http://127.0.0.1:" + port),
        ServerConfig.parseUrls("a", "http://127.0.0.1:" + port), List.of(),
        ServerConfig.parseUrls("p", "http://127.0.0.1:1"), ServerConfig.parseInitialCluster("m1=http://127.0.0.1:1"),
        "new", "t", 4096, 0, List.of(), 4, 64, 50, 500, ServerConfig.DEFAULT_SNAPSHOT_COUNT, java.util.Set.of());
    config = c;
    server = KeelServer.start(c);
    assertThat(server.awaitReady(15_000)).isTrue();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    kv = KVGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
  }

  long put(String k, String v) {
    return kv.put(PutRequest.newBuilder().setKey(b(k)).setValue(b(v)).build()).getHeader().getRevision();
  }

  @Test
  void manyWatchesOnOneStreamWithHistoryCancelAndProgress() throws Exception {
    long r1 = put("a/1", "x");
    put("a/2", "y");
    try (WatchClient w = new WatchClient(channel)) {
      w.create(WatchCreateRequest.newBuilder().setKey(b("a/")).setRangeEnd(b("a0")).setStartRevision(r1).build());
      WatchResponse created = w.next(5000);
      assertThat(created.getCreated()).isTrue();
      assertThat(created.getWatchId()).isZero();
      assertThat(created.getHeader().getClusterId()).isNotZero();
      assertThat(created.getHeader().getMemberId()).isNotZero();
      w.create(WatchCreateRequest.newBuilder().setKey(b("a/1")).setPrevKv(true).setWatchId(5).build());
      long r3 = put("a/1", "z");
      List<Event> history = w.events(0, 3, 5000);
      assertThat(history).extracting(e -> e.getKv().getValue().toStringUtf8()).containsExactly("x", "y", "z");
      List<Event> single = w.events(5, 1, 5000);
      assertThat(single.get(0).getPrevKv().getValue()).isEqualTo(b("x"));
      assertThat(single.get(0).getKv().getModRevision()).isEqualTo(r3);
      w.cancel(5);
      w.progress();
      WatchResponse canceled = null;
      WatchResponse progress = null;
      while (canceled == null || progress == null) {
        WatchResponse r = w.next(5000);
        if (r.getCanceled()) {
          canceled = r;
        } else if (r.getWatchId() == -1) {
          progress = r;
        }
      }
      assertThat(canceled.getWatchId()).isEqualTo(5);
      assertThat(progress.getEventsCount()).isZero();
      assertThat(progress.getHeader().getRevision()).isEqualTo(r3);
    }
  }

  @Test
  void afterAMemberRestartTheWatchResumesFromTheNextRevisionWithoutGapsOrDuplicates() throws Exception {
    long first = put("r/0", "0") + 1;
    List<Event> got = new java.util.ArrayList<>();
    try (WatchClient w = new WatchClient(channel)) {
      w.create(WatchCreateRequest.newBuilder().setKey(b("r/")).setRangeEnd(b("r0")).setStartRevision(first).build());
      for (int i = 1; i <= 20; i++) {
        put("r/" + (i % 3), "a" + i);
      }
      got.addAll(w.events(0, 20, 10_000));
    }
    server.close();
    server = KeelServer.start(config);
    assertThat(server.awaitReady(30_000)).isTrue();
    for (int i = 1; i <= 10; i++) {
      put("r/" + (i % 3), "b" + i);
    }
    long resume = got.get(got.size() - 1).getKv().getModRevision() + 1;
    try (WatchClient w = new WatchClient(channel); WatchClient ref = new WatchClient(channel)) {
      w.create(WatchCreateRequest.newBuilder().setKey(b("r/")).setRangeEnd(b("r0")).setStartRevision(resume).build());
      got.addAll(w.events(0, 10, 10_000));
      ref.create(WatchCreateRequest.newBuilder().setKey(b("r/")).setRangeEnd(b("r0")).setStartRevision(first).build());
      assertThat(got).isEqualTo(ref.events(0, 30, 10_000));
    }
    assertThat(got).extracting(e -> e.getKv().getValue().toStringUtf8()).startsWith("a1").endsWith("b10");
  }

  @Test
  void compactedStartIsCanceledWithTheCompactRevision() throws Exception {
    put("k", "1");
    put("k", "2");
    long r = put("k", "3");
    kv.compact(CompactionRequest.newBuilder().setRevision(r).build());
    try (WatchClient w = new WatchClient(channel)) {
      w.create(WatchCreateRequest.newBuilder().setKey(b("k")).setStartRevision(2).build());
      assertThat(w.next(5000).getCreated()).isTrue();
      WatchResponse c = w.next(5000);
      assertThat(c.getCanceled()).isTrue();
      assertThat(c.getCompactRevision()).isEqualTo(r);
    }
  }

  @Test
  void halfCloseEndsTheStreamAndServerStopEndsOpenStreams() throws Exception {
    WatchClient w = new WatchClient(channel);
    w.create(WatchCreateRequest.newBuilder().setKey(b("k")).build());
    w.next(5000);
    w.halfClose();
    await().atMost(Duration.ofSeconds(30)).until(() -> w.completed);
    WatchClient open = new WatchClient(channel);
    open.create(WatchCreateRequest.newBuilder().setKey(b("k")).build());
    open.next(5000);
    long t0 = System.nanoTime();
    server.close();
    await().atMost(Duration.ofSeconds(30)).until(() -> open.error != null);
    assertThat((System.nanoTime() - t0) / 1_000_000).as("close does not wait for watch streams").isLessThan(4000);
  }
}
