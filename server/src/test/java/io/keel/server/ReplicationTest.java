package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three members in one JVM on real loopback sockets, each with its own WAL and RocksDB. */
class ReplicationTest {
  static final int N = 3;
  @TempDir Path dir;
  final int[] clientPorts = new int[N];
  final int[] peerPorts = new int[N];
  final KeelServer[] servers = new KeelServer[N];
  final ManagedChannel[] channels = new ManagedChannel[N];
  String cluster;

  @BeforeEach
  void startAll() throws IOException {
    StringBuilder c = new StringBuilder();
    for (int i = 0; i < N; i++) {
      clientPorts[i] = KeelServerTest.freePort();
      peerPorts[i] = KeelServerTest.freePort();
      c.append(i == 0 ? "" : ",").append("m").append(i).append("=http://127.0.0.1:").append(peerPorts[i]);
    }
    cluster = c.toString();
    for (int i = 0; i < N; i++) {
      start(i);
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    }
    for (int i = 0; i < N; i++) {
      awaitReady(i);
    }
    awaitLeader();
  }

  void start(int i) throws IOException {
    String client = "http://127.0.0.1:" + clientPorts[i];
    String peer = "http://127.0.0.1:" + peerPorts[i];
    servers[i] = KeelServer.start(new ServerConfig("m" + i, dir.resolve("m" + i), ServerConfig.parseUrls("c", client),
        ServerConfig.parseUrls("a", client), ServerConfig.parseUrls("p", peer), ServerConfig.parseUrls("p", peer),
        ServerConfig.parseInitialCluster(cluster), "new", "tok", 1 << 20, 0, List.of(), 128, 1000, 50, 500,
        ServerConfig.DEFAULT_SNAPSHOT_COUNT, java.util.Set.of()));
  }

  void awaitReady(int i) {
    try {
      assertThat(servers[i].awaitReady(20_000)).as("member %d ready", i).isTrue();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @AfterEach
  void stopAll() {
    for (int i = 0; i < N; i++) {
      if (channels[i] != null) {
        channels[i].shutdownNow();
      }
      if (servers[i] != null) {
        servers[i].close();
      }
    }
  }

  KVGrpc.KVBlockingStub kv(int i) {
    return KVGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  int awaitLeader() {
    int[] leader = {-1};
    await().atMost(Duration.ofSeconds(10)).until(() -> {
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

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  Set<String> keysOn(int i, boolean serializable) {
    RangeResponse r = kv(i).range(RangeRequest.newBuilder().setKey(b("k")).setRangeEnd(b("l"))
        .setSerializable(serializable).build());
    Set<String> out = new HashSet<>();
    r.getKvsList().forEach(x -> out.add(x.getKey().toStringUtf8()));
    return out;
  }

  void assertHashesEqual(List<Integer> members) {
    long rev = kv(members.get(0)).range(RangeRequest.newBuilder().setKey(b("k")).build()).getHeader().getRevision();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Set<Integer> hashes = new HashSet<>();
      for (int i : members) {
        hashes.add(MaintenanceGrpc.newBlockingStub(channels[i]).withDeadlineAfter(5, TimeUnit.SECONDS)
            .hashKV(HashKVRequest.newBuilder().setRevision(rev).build()).getHash());
      }
      assertThat(hashes).as("HashKV at revision %d on members %s", rev, members).hasSize(1);
    });
  }

  @Test
  void writesThroughAnyMemberAreReadLinearizablyEverywhere() {
    Set<String> written = new HashSet<>();
    for (int k = 0; k < 60; k++) {
      String key = "k" + k;
      kv(k % N).put(PutRequest.newBuilder().setKey(b(key)).setValue(b("v" + k)).build());
      written.add(key);
    }
    for (int i = 0; i < N; i++) {
      assertThat(keysOn(i, false)).as("linearizable read on member %d", i).isEqualTo(written);
    }
    assertHashesEqual(List.of(0, 1, 2));
    var members = io.keel.proto.etcdserverpb.ClusterGrpc.newBlockingStub(channels[1])
        .memberList(io.keel.proto.etcdserverpb.MemberListRequest.getDefaultInstance()).getMembersList();
    assertThat(members).hasSize(N).allSatisfy(m -> assertThat(m.getClientURLsList()).as("published client URLs of %s",
        m.getName()).hasSize(1));
  }

  @Test
  void losingTheLeaderElectsAnotherAndKeepsEveryAcknowledgedWrite() throws IOException {
    int leader = awaitLeader();
    Set<String> acked = new HashSet<>();
    for (int k = 0; k < 30; k++) {
      kv(k % N).put(PutRequest.newBuilder().setKey(b("k" + k)).setValue(b("v")).build());
      acked.add("k" + k);
    }
    channels[leader].shutdownNow();
    servers[leader].close();
    servers[leader] = null;
    long lostAt = System.nanoTime();
    int next = awaitLeader();
    assertThat(next).isNotEqualTo(leader);
    assertThat(Duration.ofNanos(System.nanoTime() - lostAt)).isLessThan(Duration.ofSeconds(5));

    List<Integer> survivors = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      if (i != leader) {
        survivors.add(i);
      }
    }
    for (int k = 30; k < 60; k++) {
      kv(survivors.get(k % 2)).put(PutRequest.newBuilder().setKey(b("k" + k)).setValue(b("v")).build());
      acked.add("k" + k);
    }
    for (int i : survivors) {
      assertThat(keysOn(i, false)).isEqualTo(acked);
    }

    start(leader); // same data dir: replays its WAL, then catches up from the new leader
    awaitReady(leader);
    channels[leader] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[leader]).usePlaintext().build();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(keysOn(leader, false)).isEqualTo(acked));
    assertHashesEqual(List.of(0, 1, 2));
  }

  @Test
  void moveLeaderHandsLeadershipToTheTarget() {
    int leader = awaitLeader();
    int target = (leader + 1) % N;
    long targetId = servers[target].member().memberId();
    MaintenanceGrpc.newBlockingStub(channels[leader]).withDeadlineAfter(15, TimeUnit.SECONDS)
        .moveLeader(io.keel.proto.etcdserverpb.MoveLeaderRequest.newBuilder().setTargetID(targetId).build());
    assertThat(servers[leader].member().leaderId()).isEqualTo(targetId);
    kv(leader).put(PutRequest.newBuilder().setKey(b("k-after-move")).setValue(b("v")).build());
    KeelServerTest.assertStatus(() -> MaintenanceGrpc.newBlockingStub(channels[leader])
        .moveLeader(io.keel.proto.etcdserverpb.MoveLeaderRequest.newBuilder().setTargetID(targetId).build()),
        Status.Code.FAILED_PRECONDITION, "etcdserver: not leader");
  }

  @Test
  void aMinorityCanNeitherCommitNorServeLinearizableReads() {
    kv(0).put(PutRequest.newBuilder().setKey(b("k-before")).setValue(b("v")).build());
    await().atMost(Duration.ofSeconds(5)).until(() -> keysOn(2, true).contains("k-before"));
    for (int i = 0; i < 2; i++) {
      channels[i].shutdownNow();
      servers[i].close();
      servers[i] = null;
    }
    KeelServerTest.assertStatus(() -> kv(2).put(PutRequest.newBuilder().setKey(b("k-lost")).setValue(b("v")).build()),
        Status.Code.UNAVAILABLE, "etcdserver: request timed out");
    KeelServerTest.assertStatus(() -> keysOn(2, false), Status.Code.UNAVAILABLE, "etcdserver: request timed out");
    assertThat(keysOn(2, true)).as("serializable reads stay local").containsExactly("k-before");
    // A client that requires a leader (etcd's "hasleader" metadata) is told at once, once the member knows none.
    io.grpc.Metadata md = new io.grpc.Metadata();
    md.put(io.grpc.Metadata.Key.of("hasleader", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "true");
    await().atMost(Duration.ofSeconds(10)).until(() -> servers[2].member().leaderId() == 0);
    KeelServerTest.assertStatus(() -> kv(2).withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(md))
        .put(PutRequest.newBuilder().setKey(b("k-lost")).setValue(b("v")).build()),
        Status.Code.UNAVAILABLE, "etcdserver: no leader");
  }
}
