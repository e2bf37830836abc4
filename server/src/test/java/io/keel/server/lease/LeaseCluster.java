package io.keel.server.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.LeaseGrpc;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import io.keel.server.KeelServer;
import io.keel.server.ServerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Three Keel members in this JVM on loopback sockets (50 ms heartbeat, 500 ms election: minimum lease TTL 1 s). */
final class LeaseCluster implements AutoCloseable {
  static final int N = 3;
  static final long HEARTBEAT_MS = 50;
  static final long ELECTION_MS = 500;
  final Path dir;
  final int[] clientPorts = new int[N];
  final int[] peerPorts = new int[N];
  final KeelServer[] servers = new KeelServer[N];
  final ManagedChannel[] channels = new ManagedChannel[N];
  final String cluster;

  LeaseCluster(Path dir) throws IOException {
    this.dir = dir;
    StringBuilder c = new StringBuilder();
    for (int i = 0; i < N; i++) {
      clientPorts[i] = freePort();
      peerPorts[i] = freePort();
      c.append(i == 0 ? "" : ",").append("m").append(i).append("=http://127.0.0.1:").append(peerPorts[i]);
    }
    cluster = c.toString();
    for (int i = 0; i < N; i++) {
      start(i);
    }
    for (int i = 0; i < N; i++) {
      awaitReady(i);
    }
    leader();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  void start(int i) throws IOException {
    String client = "http://127.0.0.1:" + clientPorts[i];
    String peer = "http://127.0.0.1:" + peerPorts[i];
    servers[i] = KeelServer.start(new ServerConfig("m" + i, dir.resolve("m" + i), ServerConfig.parseUrls("c", client),
        ServerConfig.parseUrls("a", client), ServerConfig.parseUrls("p", peer), ServerConfig.parseUrls("p", peer),
        ServerConfig.parseInitialCluster(cluster), "new", "tok", 1 << 20, 0, List.of(), 128, 1000, HEARTBEAT_MS,
        ELECTION_MS, ServerConfig.DEFAULT_SNAPSHOT_COUNT, Set.of()));
    channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
  }

  void awaitReady(int i) {
    try {
      assertThat(servers[i].awaitReady(30_000)).as("member %d ready", i).isTrue();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  void stop(int i) {
    channels[i].shutdownNow();
    servers[i].close();
    servers[i] = null;
  }

  /** The member that leads now (waits up to 15 s for one). */
  int leader() {
    int[] leader = {-1};
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(() -> {
      for (int i = 0; i < N; i++) {
        if (servers[i] != null && servers[i].member().leaderId() == servers[i].member().memberId()) {
          leader[0] = i;
          return true;
        }
      }
      return false;
    });
    return leader[0];
  }

  /** Some running member other than {@code not}. */
  int other(int not) {
    for (int i = 0; i < N; i++) {
      if (i != not && servers[i] != null) {
        return i;
      }
    }
    throw new AssertionError("no other member");
  }

  KVGrpc.KVBlockingStub kv(int i) {
    return KVGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  LeaseGrpc.LeaseBlockingStub lease(int i) {
    return LeaseGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  LeaseGrpc.LeaseStub leaseAsync(int i) {
    return LeaseGrpc.newStub(channels[i]);
  }

  /** One renewal over a fresh LeaseKeepAlive stream (etcdctl lease keep-alive --once); returns the TTL answered. */
  long keepAliveOnce(int i, long leaseId) throws Exception {
    java.util.concurrent.CompletableFuture<LeaseKeepAliveResponse> first = new java.util.concurrent.CompletableFuture<>();
    StreamObserver<LeaseKeepAliveRequest> up = leaseAsync(i).withDeadlineAfter(10, TimeUnit.SECONDS)
        .leaseKeepAlive(new StreamObserver<>() {
          @Override
          public void onNext(LeaseKeepAliveResponse r) {
            first.complete(r);
          }

          @Override
          public void onError(Throwable t) {
            first.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            first.completeExceptionally(new IllegalStateException("stream ended without an answer"));
          }
        });
    up.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
    try {
      LeaseKeepAliveResponse r = first.get(10, TimeUnit.SECONDS);
      assertThat(r.getID()).isEqualTo(leaseId);
      return r.getTTL();
    } finally {
      up.onCompleted();
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < N; i++) {
      if (channels[i] != null) {
        channels[i].shutdownNow();
      }
      if (servers[i] != null) {
        servers[i].close();
      }
    }
  }
}
