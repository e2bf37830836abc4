package io.keel.server.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.server.KeelServer;
import io.keel.server.ServerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** N in-JVM members on loopback with a given backend quota, for the maintenance tests. */
final class MemberCluster implements AutoCloseable {
  final int n;
  final Path dir;
  final long quotaBytes;
  final int[] clientPorts;
  final int[] peerPorts;
  final KeelServer[] servers;
  final ManagedChannel[] channels;
  final String initialCluster;

  MemberCluster(Path dir, int n, long quotaBytes) throws IOException {
    this(dir, n, quotaBytes, null);
  }

  /** With the given peer ports (null: free ones). */
  MemberCluster(Path dir, int n, long quotaBytes, int[] fixedPeerPorts) throws IOException {
    this.n = n;
    this.dir = dir;
    this.quotaBytes = quotaBytes;
    clientPorts = new int[n];
    peerPorts = new int[n];
    servers = new KeelServer[n];
    channels = new ManagedChannel[n];
    StringBuilder c = new StringBuilder();
    for (int i = 0; i < n; i++) {
      clientPorts[i] = freePort();
      peerPorts[i] = fixedPeerPorts != null ? fixedPeerPorts[i] : freePort();
      c.append(i == 0 ? "" : ",").append("m").append(i).append("=http://127.0.0.1:").append(peerPorts[i]);
    }
    initialCluster = c.toString();
    for (int i = 0; i < n; i++) {
      start(i);
    }
    for (int i = 0; i < n; i++) {
      awaitReady(i);
    }
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
        ServerConfig.parseInitialCluster(initialCluster), "new", "tok", 1 << 20, quotaBytes, List.of(), 128, 1000,
        50, 500, ServerConfig.DEFAULT_SNAPSHOT_COUNT, Set.of()));
    if (channels[i] == null) {
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    }
  }

  void awaitReady(int i) {
    try {
      assertThat(servers[i].awaitReady(20_000)).as("member %d ready", i).isTrue();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> servers[i].member().leaderId() != 0);
  }

  void stop(int i) {
    servers[i].close();
    servers[i] = null;
  }

  KVGrpc.KVBlockingStub kv(int i) {
    return KVGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  MaintenanceGrpc.MaintenanceBlockingStub maintenance(int i) {
    return MaintenanceGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  long memberId(int i) {
    return servers[i].member().memberId();
  }

  @Override
  public void close() {
    for (int i = 0; i < n; i++) {
      if (channels[i] != null) {
        channels[i].shutdownNow();
      }
      if (servers[i] != null) {
        servers[i].close();
      }
    }
  }
}
