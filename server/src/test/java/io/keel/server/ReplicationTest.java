package io.keel.server;

import static io.keel.server.MemberCluster.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.keel.proto.etcdserverpb.PutRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three members in one JVM on real loopback sockets, each with its own WAL and RocksDB. */
class ReplicationTest {
  static final int N = 3;
  @TempDir Path dir;
  MemberCluster c;

  @BeforeEach
  void startAll() throws IOException {
    c = MemberCluster.builder(dir, N).start();
  }

  @AfterEach
  void stopAll() {
    c.close();
  }

  @Test
  void writesThroughAnyMemberAreReadLinearizablyEverywhere() {
    Set<String> written = new HashSet<>();
    for (int k = 0; k < 60; k++) {
      String key = "k" + k;
      c.kv(k % N).put(PutRequest.newBuilder().setKey(b(key)).setValue(b("v" + k)).build());
      written.add(key);
    }
    for (int i = 0; i < N; i++) {
      assertThat(c.keysOn(i, false)).as("linearizable read on member %d", i).isEqualTo(written);
    }
    c.assertHashesEqual(List.of(0, 1, 2));
    var members = c.cluster(1)
        .memberList(io.keel.proto.etcdserverpb.MemberListRequest.getDefaultInstance()).getMembersList();
    assertThat(members).hasSize(N).allSatisfy(m -> assertThat(m.getClientURLsList()).as("published client URLs of %s",
        m.getName()).hasSize(1));
  }

  @Test
  void losingTheLeaderElectsAnotherAndKeepsEveryAcknowledgedWrite() throws IOException {
    int leader = c.awaitLeader();
    Set<String> acked = new HashSet<>();
    for (int k = 0; k < 30; k++) {
      c.kv(k % N).put(PutRequest.newBuilder().setKey(b("k" + k)).setValue(b("v")).build());
      acked.add("k" + k);
    }
    c.stop(leader);
    long lostAt = System.nanoTime();
    int next = c.awaitLeader();
    assertThat(next).isNotEqualTo(leader);
    assertThat(Duration.ofNanos(System.nanoTime() - lostAt)).isLessThan(Duration.ofSeconds(5));

    List<Integer> survivors = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      if (i != leader) {
        survivors.add(i);
      }
    }
    for (int k = 30; k < 60; k++) {
      c.kv(survivors.get(k % 2)).put(PutRequest.newBuilder().setKey(b("k" + k)).setValue(b("v")).build());
      acked.add("k" + k);
    }
    for (int i : survivors) {
      assertThat(c.keysOn(i, false)).isEqualTo(acked);
    }

    c.start(leader); // same data dir: replays its WAL, then catches up from the new leader
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.keysOn(leader, false)).isEqualTo(acked));
    c.assertHashesEqual(List.of(0, 1, 2));
  }

  @Test
  void moveLeaderHandsLeadershipToTheTarget() {
    int leader = c.awaitLeader();
    int target = (leader + 1) % N;
    long targetId = c.server(target).member().memberId();
    c.maintenance(leader)
        .moveLeader(io.keel.proto.etcdserverpb.MoveLeaderRequest.newBuilder().setTargetID(targetId).build());
    assertThat(c.server(leader).member().leaderId()).isEqualTo(targetId);
    c.kv(leader).put(PutRequest.newBuilder().setKey(b("k-after-move")).setValue(b("v")).build());
    KeelServerTest.assertStatus(() -> c.maintenance(leader)
        .moveLeader(io.keel.proto.etcdserverpb.MoveLeaderRequest.newBuilder().setTargetID(targetId).build()),
        Status.Code.FAILED_PRECONDITION, "etcdserver: not leader");
  }

  @Test
  void aMinorityCanNeitherCommitNorServeLinearizableReads() {
    c.kv(0).put(PutRequest.newBuilder().setKey(b("k-before")).setValue(b("v")).build());
    await().atMost(Duration.ofSeconds(30)).until(() -> c.keysOn(2, true).contains("k-before"));
    for (int i = 0; i < 2; i++) {
      c.stop(i);
    }
    KeelServerTest.assertStatus(() -> c.kv(2).put(PutRequest.newBuilder().setKey(b("k-lost")).setValue(b("v")).build()),
        Status.Code.UNAVAILABLE, "etcdserver: request timed out");
    KeelServerTest.assertStatus(() -> c.keysOn(2, false), Status.Code.UNAVAILABLE, "etcdserver: request timed out");
    assertThat(c.keysOn(2, true)).as("serializable reads stay local").containsExactly("k-before");
    // A client that requires a leader (etcd's "hasleader" metadata) is told at once, once the member knows none.
    io.grpc.Metadata md = new io.grpc.Metadata();
    md.put(io.grpc.Metadata.Key.of("hasleader", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "true");
    await().atMost(Duration.ofSeconds(30)).until(() -> c.server(2).member().leaderId() == 0);
    KeelServerTest.assertStatus(() -> c.kv(2).withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(md))
        .put(PutRequest.newBuilder().setKey(b("k-lost")).setValue(b("v")).build()),
        Status.Code.UNAVAILABLE, "etcdserver: no leader");
  }
}
