package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** N Keel members in this JVM on real loopback sockets, each with its own data dir, with a chosen snapshot count. */
final class MemberCluster implements AutoCloseable {
  final int n;
  final Path dir;
  final long snapshotCount;
  final int[] clientPorts;
  final int[] peerPorts;
  final KeelServer[] servers;
  final ManagedChannel[] channels;
  final String cluster;

  MemberCluster(Path dir, int n, long snapshotCount) throws IOException {
    this.n = n;
    this.dir = dir;
    this.snapshotCount = snapshotCount;
    clientPorts = new int[n];
    peerPorts = new int[n];
    servers = new KeelServer[n];
    channels = new ManagedChannel[n];
    StringBuilder c = new StringBuilder();
    for (int i = 0; i < n; i++) {
      clientPorts[i] = KeelServerTest.freePort();
      peerPorts[i] = KeelServerTest.freePort();
      c.append(i == 0 ? "" : ",").append("m").append(i).append("=http://127.0.0.1:").append(peerPorts[i]);
    }
    cluster = c.toString();
  }

  Path dataDir(int i) {
    return dir.resolve("m" + i);
  }

  void startAll() throws IOException {
    for (int i = 0; i < n; i++) {
      servers[i] = KeelServer.start(config(i));
    }
    for (int i = 0; i < n; i++) {
      awaitReady(i);
    }
  }

  ServerConfig config(int i) {
    String client = "http://127.0.0.1:" + clientPorts[i];
    String peer = "http://127.0.0.1:" + peerPorts[i];
    return new ServerConfig("m" + i, dataDir(i), ServerConfig.parseUrls("c", client),
        ServerConfig.parseUrls("a", client), ServerConfig.parseUrls("p", peer), ServerConfig.parseUrls("p", peer),
        ServerConfig.parseInitialCluster(cluster), "new", "tok", 1 << 20, 0, List.of(), 128, 1000, 50, 500,
        snapshotCount, Set.of());
  }

  void start(int i) throws IOException {
    servers[i] = KeelServer.start(config(i));
    awaitReady(i);
  }

  void awaitReady(int i) {
    try {
      assertThat(servers[i].awaitReady(30_000)).as("member %d ready", i).isTrue();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
    if (channels[i] == null) {
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    }
  }

  void stop(int i) {
    if (channels[i] != null) {
      channels[i].shutdownNow();
      channels[i] = null;
    }
    if (servers[i] != null) {
      servers[i].close();
      servers[i] = null;
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < n; i++) {
      stop(i);
    }
  }

  KVGrpc.KVBlockingStub kv(int i) {
    return KVGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  int awaitLeader() {
    int[] leader = {-1};
    await().atMost(Duration.ofSeconds(15)).until(() -> {
      for (int i = 0; i < n; i++) {
        if (servers[i] != null && servers[i].member().leaderId() == servers[i].member().memberId()) {
          leader[0] = i;
          return true;
        }
      }
      return false;
    });
    return leader[0];
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Puts keys "k<from>".."k<to-1>" through member i, each acknowledged. */
  Set<String> put(int i, int from, int to) {
    Set<String> acked = new HashSet<>();
    for (int k = from; k < to; k++) {
      kv(i).put(PutRequest.newBuilder().setKey(b("k" + k)).setValue(b("v" + k)).build());
      acked.add("k" + k);
    }
    return acked;
  }

  Set<String> keysOn(int i, boolean serializable) {
    Set<String> out = new HashSet<>();
    kv(i).range(RangeRequest.newBuilder().setKey(b("k")).setRangeEnd(b("l")).setSerializable(serializable).build())
        .getKvsList().forEach(x -> out.add(x.getKey().toStringUtf8()));
    return out;
  }

  /** Every listed member reaches the same revision with the same HashKV. */
  void assertHashesEqual(List<Integer> members) {
    long rev = kv(members.get(0)).range(RangeRequest.newBuilder().setKey(b("k")).build()).getHeader().getRevision();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      Set<Integer> hashes = new HashSet<>();
      for (int i : members) {
        hashes.add(MaintenanceGrpc.newBlockingStub(channels[i]).withDeadlineAfter(5, TimeUnit.SECONDS)
            .hashKV(HashKVRequest.newBuilder().setRevision(rev).build()).getHash());
      }
      assertThat(hashes).as("HashKV at revision %d on members %s", rev, members).hasSize(1);
    });
  }
}
