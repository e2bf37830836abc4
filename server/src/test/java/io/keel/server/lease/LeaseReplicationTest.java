package io.keel.server.lease;

import io.keel.server.MemberCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.proto.etcdserverpb.LeaseGrantRequest;
import io.keel.proto.etcdserverpb.LeaseGrantResponse;
import io.keel.proto.etcdserverpb.LeaseLeasesRequest;
import io.keel.proto.etcdserverpb.LeaseRevokeRequest;
import io.keel.proto.etcdserverpb.LeaseStatus;
import io.keel.proto.etcdserverpb.LeaseTimeToLiveRequest;
import io.keel.proto.etcdserverpb.LeaseTimeToLiveResponse;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.mvccpb.KeyValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases on a 3-member cluster in one JVM: replicated grant/revoke, leader-only expiry, keep-alive forwarding. */
class LeaseReplicationTest {
  @TempDir Path dir;
  MemberCluster c;

  @BeforeEach
  void start() throws Exception {
    c = MemberCluster.builder(dir, 3).start();
  }

  @AfterEach
  void stop() {
    c.close();
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  long grant(int member, long ttl) {
    return c.lease(member).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttl).build()).getID();
  }

  long put(int member, String key, long lease) {
    return c.kv(member).put(PutRequest.newBuilder().setKey(b(key)).setValue(b("v")).setLease(lease).build())
        .getHeader().getRevision();
  }

  List<String> keys(int member, long revision) {
    RangeResponse r = c.kv(member).range(RangeRequest.newBuilder().setKey(b("k")).setRangeEnd(b("l"))
        .setRevision(revision).setSerializable(true).build());
    return r.getKvsList().stream().map(KeyValue::getKey).map(ByteString::toStringUtf8).toList();
  }

  long revision(int member) {
    return c.kv(member).range(RangeRequest.newBuilder().setKey(b("k")).setSerializable(true).build())
        .getHeader().getRevision();
  }

  static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).isEqualTo(message);
    });
  }

  @Test
  void expiryDeletesEveryAttachedKeyInOneRevisionOnEveryMember() {
    int leader = c.leader();
    int follower = c.other(leader);
    long granted = System.nanoTime();
    LeaseGrantResponse g = c.lease(follower).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(1).build());
    assertThat(g.getTTL()).isEqualTo(1);
    long id = g.getID();
    put(follower, "k1", id);
    put(leader, "k2", id);
    put(follower, "k3", id);
    long last = put(follower, "k4-no-lease", 0);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> keys(leader, 0).equals(List.of("k4-no-lease")));
    long expiredAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - granted);
    assertThat(expiredAfterMs).as("never before its TTL").isGreaterThanOrEqualTo(1000);
    for (int i = 0; i < c.size(); i++) {
      int m = i;
      await().atMost(Duration.ofSeconds(30)).until(() -> revision(m) == last + 1);
      assertThat(keys(m, last)).as("member %d before expiry", m).containsExactly("k1", "k2", "k3", "k4-no-lease");
      assertThat(keys(m, last + 1)).as("member %d: one revision deletes all", m).containsExactly("k4-no-lease");
      assertThat(c.lease(m).leaseLeases(LeaseLeasesRequest.getDefaultInstance()).getLeasesList()).isEmpty();
      assertThat(c.lease(m).leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).build()).getTTL())
          .isEqualTo(-1);
    }
    assertThat(c.server(leader).leases().lessor().trackedCount()).isZero();
  }

  @Test
  void keepAliveThroughAFollowerKeepsKeysPastSeveralTtls() throws Exception {
    int leader = c.leader();
    int follower = c.other(leader);
    // TTL 3 s renewed every 250 ms for three TTLs: a shorter TTL would let one stall of a loaded CI machine (seen:
    // 1.9 s with no thread running) expire the lease legitimately, as it would on etcd
    long id = grant(follower, 3);
    long rev = put(follower, "k1", id);
    long start = System.nanoTime();
    try (KeepAliver ka = new KeepAliver(c, id, 250, () -> follower)) {
      while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(9500)) {
        assertThat(keys(leader, 0)).containsExactly("k1");
        LeaseTimeToLiveResponse ttl = c.lease(follower).leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder()
            .setID(id).setKeys(true).build());
        assertThat(ttl.getGrantedTTL()).isEqualTo(3);
        assertThat(ttl.getTTL()).isBetween(0L, 3L);
        assertThat(ttl.getKeysList()).containsExactly(b("k1"));
        Thread.sleep(100);
      }
      assertThat(ka.renewed.get()).isGreaterThan(12);
      assertThat(ka.zeroTtl.get()).isZero();
    }
    assertThat(revision(leader)).as("nothing expired while renewed").isEqualTo(rev);
    await().atMost(Duration.ofSeconds(20)).until(() -> keys(leader, 0).isEmpty());
  }

  @Test
  void losingTheLeaderDoesNotExpireLeasesEarlyAndKeepAlivesResumeElsewhere() throws Exception {
    int leader = c.leader();
    long id = grant(leader, 3);
    put(leader, "k1", id);
    int[] target = {leader};
    try (KeepAliver ka = new KeepAliver(c, id, 300, () -> target[0])) {
      await().atMost(Duration.ofSeconds(30)).until(() -> ka.renewed.get() > 2);
      int survivor = c.other(leader);
      target[0] = survivor;
      c.stop(leader);
      long lostAt = System.nanoTime();
      int next = c.leader();
      assertThat(next).isNotEqualTo(leader);
      // The key outlives the election and the new leader's promotion; renewals resume through a survivor.
      int renewedBefore = ka.renewed.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> ka.renewed.get() > renewedBefore + 2);
      while (System.nanoTime() - lostAt < TimeUnit.SECONDS.toNanos(7)) {
        assertThat(keys(survivor, 0)).as("key alive %d ms after losing the leader",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lostAt)).containsExactly("k1");
        Thread.sleep(200);
      }
      assertThat(ka.zeroTtl.get()).isZero();
    }
    int survivor = c.other(-1);
    await().atMost(Duration.ofSeconds(30)).until(() -> keys(survivor, 0).isEmpty());
  }

  @Test
  void errorsRevokeListAndRestartAsEtcd() throws Exception {
    int leader = c.leader();
    int follower = c.other(leader);
    assertStatus(() -> c.lease(follower).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(0x77).build()),
        Status.Code.NOT_FOUND, "etcdserver: requested lease not found");
    assertStatus(() -> put(follower, "k0", 0x77), Status.Code.NOT_FOUND, "etcdserver: requested lease not found");
    assertStatus(() -> c.lease(follower).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(9_000_000_001L).build()),
        Status.Code.OUT_OF_RANGE, "etcdserver: too large lease TTL");
    LeaseGrantResponse g = c.lease(follower).leaseGrant(LeaseGrantRequest.newBuilder().setID(0x99).setTTL(60).build());
    assertThat(g.getID()).isEqualTo(0x99);
    assertThat(g.getTTL()).isEqualTo(60);
    assertStatus(() -> c.lease(leader).leaseGrant(LeaseGrantRequest.newBuilder().setID(0x99).setTTL(5).build()),
        Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists");
    long small = c.lease(leader).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(0).build()).getTTL();
    assertThat(small).as("raised to the minimum TTL").isEqualTo(Leases.minTtlSeconds(50, 500)).isEqualTo(1);
    long other = grant(leader, 120);
    assertThat(other).isPositive();
    put(leader, "k1", 0x99);
    put(leader, "k2", 0x99);
    put(leader, "k3", other);
    assertThat(c.keepAliveOnce(follower, 0x1234)).as("unknown lease: TTL 0").isZero();
    assertThat(c.keepAliveOnce(follower, other)).isEqualTo(120);
    assertThat(c.keepAliveOnce(leader, other)).isEqualTo(120);

    // restart every member: leases and attachments come back from RocksDB
    for (int i = 0; i < c.size(); i++) {
      c.stop(i);
    }
    for (int i = 0; i < c.size(); i++) {
      c.launch(i);
    }
    for (int i = 0; i < c.size(); i++) {
      c.awaitReady(i);
    }
    int now = c.leader();
    for (int i = 0; i < c.size(); i++) {
      int m = i;
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.lease(m)
          .leaseLeases(LeaseLeasesRequest.getDefaultInstance()).getLeasesList().stream().map(LeaseStatus::getID)
          .toList()).contains(0x99L, other));
      LeaseTimeToLiveResponse t = c.lease(m).leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(0x99)
          .setKeys(true).build());
      assertThat(t.getGrantedTTL()).isEqualTo(60);
      assertThat(t.getTTL()).isBetween(50L, 61L); // full TTL again after the restart's election (+ 0.5 s)
      assertThat(t.getKeysList()).containsExactly(b("k1"), b("k2"));
    }
    long before = revision(now);
    long rev = c.lease(c.other(now)).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(0x99).build())
        .getHeader().getRevision();
    assertThat(rev).isEqualTo(before + 1);
    assertThat(keys(now, rev - 1)).containsExactly("k1", "k2", "k3");
    assertThat(keys(now, rev)).containsExactly("k3");
    assertStatus(() -> c.lease(now).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(0x99).build()),
        Status.Code.NOT_FOUND, "etcdserver: requested lease not found");
  }
}
