package io.keel.server;

import static io.keel.server.KeelServerTest.assertStatus;
import static io.keel.server.MemberCluster.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.MemberAddRequest;
import io.keel.proto.etcdserverpb.MemberAddResponse;
import io.keel.proto.etcdserverpb.MemberListRequest;
import io.keel.proto.etcdserverpb.MemberPromoteRequest;
import io.keel.proto.etcdserverpb.MemberRemoveRequest;
import io.keel.proto.etcdserverpb.MemberUpdateRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.StatusRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes on real in-JVM members (etcd's Cluster API): a learner joins with an empty data dir and
 * catches up, is promoted, an old member is removed, the leader removes itself, restarts keep the membership,
 * and etcd's errors for changes that do not fit.
 */
class MembershipTest {
  @TempDir Path dir;

  private static Map<Long, Member> members(MemberCluster c, int via) {
    Map<Long, Member> out = new TreeMap<>();
    c.cluster(via).memberList(MemberListRequest.getDefaultInstance()).getMembersList()
        .forEach(m -> out.put(m.getID(), m));
    return out;
  }

  /** Every running member listed holds exactly {@code acked} (serializable reads, after catching up). */
  private static void assertAllHold(MemberCluster c, List<Integer> running, Set<String> acked) {
    for (int i : running) {
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(c.keysOn(i, true)).as("keys on member %d", i).isEqualTo(acked));
    }
  }

  @Test
  void learnerCatchesUpIsPromotedThenAnOldMemberIsRemovedAndRestartsKeepTheMembership() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 3).snapshotCount(200).start()) {
      int leader = c.leader();
      Set<String> acked = new HashSet<>(c.put(leader, 0, 300)); // past a snapshot: the learner may need one

      int learner = c.addMember(c.other(leader), true);
      // MemberList is served from the member's applied state (not linearizable, as in etcd 3.4); the proposer
      // answered once it applied the change, the leader may apply it a moment later.
      int lead = leader;
      await().atMost(Duration.ofSeconds(30)).until(() -> members(c, lead).size() == 4);
      Map<Long, Member> listed = members(c, leader);
      assertThat(listed).hasSize(4);
      Member added = listed.values().stream().filter(Member::getIsLearner).findFirst().orElseThrow();
      assertThat(added.getName()).as("not started yet").isEmpty();
      assertThat(added.getPeerURLsList()).containsExactly(c.peerUrl(learner));

      c.start(learner); // empty data dir, --initial-cluster-state existing
      assertThat(c.memberId(learner)).isEqualTo(added.getID());
      assertAllHold(c, List.of(learner), acked);
      assertThat(c.server(learner).member().isLearner()).isTrue();
      assertStatus(() -> c.keysOn(learner, false), Status.Code.UNAVAILABLE, "etcdserver: rpc not supported for learner");
      assertStatus(() -> c.kv(learner).put(PutRequest.newBuilder().setKey(b("x")).setValue(b("y")).build()),
          Status.Code.UNAVAILABLE, "etcdserver: rpc not supported for learner");
      assertThat(c.maintenance(learner).status(StatusRequest.getDefaultInstance()).getHeader().getMemberId())
          .isEqualTo(added.getID());

      // promoted through a follower, which forwards to the leader (only it knows whether the learner is in sync)
      int follower = c.other(leader);
      c.cluster(follower).memberPromote(MemberPromoteRequest.newBuilder().setID(added.getID()).build());
      await().atMost(Duration.ofSeconds(30)).until(() -> !c.server(learner).member().isLearner());
      assertThat(members(c, learner).get(added.getID()).getIsLearner()).isFalse();
      assertThat(members(c, learner).get(added.getID()).getName()).isEqualTo("m" + learner);
      acked.addAll(c.put(learner, 300, 320)); // a voter now: writes and linearizable reads

      // remove an old member that is not the leader
      leader = c.leader();
      int old = leader == 0 ? 1 : 0;
      long oldId = c.memberId(old);
      KeelServer removed = c.server(old);
      c.removeMember(leader, oldId);
      assertThat(members(c, leader)).hasSize(3).doesNotContainKey(oldId);
      awaitStopped(removed); // it applied its own removal and stopped
      c.stop(old);

      List<Integer> running = new ArrayList<>();
      for (int i = 0; i < c.size(); i++) {
        if (c.running(i)) {
          running.add(i);
        }
      }
      assertThat(running).hasSize(3).contains(learner);
      for (int i : running) {
        acked.addAll(c.put(i, 400 + 10 * i, 400 + 10 * i + 10));
      }
      assertAllHold(c, running, acked);
      c.assertHashesEqual(running);

      // restarts (the joined member with its WAL, an original member) keep the new membership
      Set<Long> ids = members(c, running.get(0)).keySet();
      for (int i : running) {
        c.stop(i);
        c.start(i);
        assertThat(members(c, i).keySet()).as("membership after restarting member %d", i).isEqualTo(ids);
      }
      int newLeader = c.leader();
      acked.addAll(c.put(newLeader, 500, 510));
      assertAllHold(c, running, acked);
      for (int i : running) {
        assertThat(c.keysOn(i, false)).isEqualTo(acked);
      }
    }
  }

  /** A removed member stops by itself (after a short delay), as etcd's does. */
  private static void awaitStopped(KeelServer s) throws Exception {
    awaitStopped(s, 20);
  }

  private static void awaitStopped(KeelServer s, long timeoutS) throws Exception {
    java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        s.awaitTermination();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }).get(timeoutS, java.util.concurrent.TimeUnit.SECONDS);
  }

  /**
   * The race etcd's rafthttp answers with 410 Gone: a member removed while it cannot receive the removal (here it
   * is down; a voter and a learner) never applies it, since the leader stops replicating to it. Restarted with its
   * old data, it is told by its peers that it was removed, and stops by itself; the rest keep working.
   */
  @Test
  void membersRemovedWhileDownStopWhenTheirPeersSayTheyWereRemoved() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 3).start()) {
      int leader = c.leader();
      Set<String> acked = new HashSet<>(c.put(leader, 0, 20));
      int learner = c.addMember(leader, true);
      c.start(learner);
      assertAllHold(c, List.of(learner), acked);
      int voter = c.other(leader);
      long voterId = c.memberId(voter);
      long learnerId = c.memberId(learner);
      c.stop(voter);
      c.stop(learner);
      c.removeMember(leader, voterId);
      c.removeMember(leader, learnerId);
      acked.addAll(c.put(leader, 20, 40));

      for (int i : List.of(voter, learner)) {
        long start = System.nanoTime();
        c.launch(i); // its old data: the group it knows still holds it and its peers
        KeelServer s = c.server(i);
        awaitStopped(s, 10);
        assertThat(s.member().cluster().group()).as("member %d never applied its removal", i)
            .containsKey(s.member().memberId());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        c.stop(i);
      }

      List<Integer> rest = new ArrayList<>();
      for (int i = 0; i < c.size(); i++) {
        if (c.running(i)) {
          rest.add(i);
        }
      }
      assertThat(rest).hasSize(2).contains(leader);
      assertThat(members(c, leader)).hasSize(2).doesNotContainKeys(voterId, learnerId);
      acked.addAll(c.put(c.leader(), 40, 60)); // the remaining members were never told they were removed
      assertAllHold(c, rest, acked);
    }
  }

  @Test
  void theLeaderRemovingItselfStepsDownAndTheRestElectANewOne() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 3).start()) {
      int leader = c.leader();
      Set<String> acked = new HashSet<>(c.put(leader, 0, 20));
      long leaderId = c.memberId(leader);
      KeelServer old = c.server(leader);
      c.removeMember(leader, leaderId);
      awaitStopped(old);
      c.stop(leader);
      int next = c.leader();
      assertThat(next).isNotEqualTo(leader);
      assertThat(members(c, next)).hasSize(2).doesNotContainKey(leaderId);
      acked.addAll(c.put(next, 20, 40));
      List<Integer> rest = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        if (i != leader) {
          rest.add(i);
        }
      }
      assertAllHold(c, rest, acked);
      c.assertHashesEqual(rest);
    }
  }

  /**
   * etcd's strict reconfiguration check: with a voter down nothing is added and no connected voter removed
   * ("etcdserver: unhealthy cluster", UNAVAILABLE); the down voter itself may be removed, after which the two left
   * are healthy again.
   */
  @Test
  void aVoterDownMakesTheClusterUnhealthyForReconfigurationUntilItIsRemoved() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 3).start()) {
      int leader = c.leader();
      Set<String> acked = new HashSet<>(c.put(leader, 0, 10));
      // healthy once every voter has been connected for 5 s: an add goes through (retried until then)
      String firstUrl = "http://127.0.0.1:" + MemberCluster.freePort();
      long first = MemberCluster.whileUnhealthy(() -> c.cluster(leader).memberAdd(MemberAddRequest.newBuilder()
          .addPeerURLs(firstUrl).setIsLearner(true).build())).getMember().getID();
      c.cluster(leader).memberRemove(MemberRemoveRequest.newBuilder().setID(first).build()); // a learner: exempt

      int down = c.other(leader);
      int up = 3 - leader - down;
      long downId = c.memberId(down);
      c.stop(down);
      String url = "http://127.0.0.1:" + MemberCluster.freePort();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertStatus(() -> c.cluster(leader)
          .memberAdd(MemberAddRequest.newBuilder().addPeerURLs(url).setIsLearner(true).build()),
          Status.Code.UNAVAILABLE, "etcdserver: unhealthy cluster"));
      assertStatus(() -> c.cluster(leader).memberAdd(MemberAddRequest.newBuilder().addPeerURLs(url).build()),
          Status.Code.UNAVAILABLE, "etcdserver: unhealthy cluster");
      assertStatus(() -> c.cluster(leader).memberRemove(MemberRemoveRequest.newBuilder().setID(c.memberId(up))
          .build()), Status.Code.UNAVAILABLE, "etcdserver: unhealthy cluster");
      assertThat(members(c, leader)).hasSize(3);

      c.cluster(leader).memberRemove(MemberRemoveRequest.newBuilder().setID(downId).build());
      assertThat(members(c, leader)).hasSize(2).doesNotContainKey(downId);
      long added = c.cluster(leader).memberAdd(MemberAddRequest.newBuilder().addPeerURLs(url).setIsLearner(true)
          .build()).getMember().getID();
      assertThat(members(c, leader)).hasSize(3).containsKey(added);
      acked.addAll(c.put(leader, 10, 20));
      assertAllHold(c, List.of(leader, up), acked);
    }
  }

  @Test
  void changesThatDoNotFitGetEtcdsErrors() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 1).start()) {
      long self = c.memberId(0);
      String selfUrl = c.peerUrl(0);
      assertStatus(() -> c.cluster(0).memberAdd(MemberAddRequest.newBuilder().addPeerURLs(selfUrl).build()),
          Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists");
      assertStatus(() -> c.cluster(0).memberAdd(MemberAddRequest.newBuilder().addPeerURLs("not a url").build()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid");
      assertStatus(() -> c.cluster(0).memberRemove(MemberRemoveRequest.newBuilder().setID(12345).build()),
          Status.Code.NOT_FOUND, "etcdserver: member not found");
      assertStatus(() -> c.cluster(0).memberUpdate(MemberUpdateRequest.newBuilder().setID(12345)
          .addPeerURLs("http://127.0.0.1:1").build()), Status.Code.NOT_FOUND, "etcdserver: member not found");
      assertStatus(() -> c.cluster(0).memberPromote(MemberPromoteRequest.newBuilder().setID(self).build()),
          Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member");
      assertStatus(() -> c.cluster(0).memberRemove(MemberRemoveRequest.newBuilder().setID(self).build()),
          Status.Code.FAILED_PRECONDITION, "etcdserver: re-configuration failed due to not enough started members");

      c.put(0, 0, 10);
      MemberAddResponse learner = c.cluster(0).memberAdd(MemberAddRequest.newBuilder()
          .addPeerURLs("http://127.0.0.1:" + MemberCluster.freePort()).setIsLearner(true).build());
      assertThat(learner.getMember().getIsLearner()).isTrue();
      assertThat(learner.getMembersList()).hasSize(2);
      long learnerId = learner.getMember().getID();
      assertThat(learnerId).isPositive();
      String second = "http://127.0.0.1:" + MemberCluster.freePort();
      assertStatus(() -> c.cluster(0).memberAdd(MemberAddRequest.newBuilder()
              .addPeerURLs(second).setIsLearner(true).build()),
          Status.Code.FAILED_PRECONDITION, "etcdserver: too many learner members in cluster");
      assertStatus(() -> c.cluster(0).memberPromote(MemberPromoteRequest.newBuilder().setID(learnerId).build()),
          Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member which is in sync with leader");
      String moved = "http://127.0.0.1:" + MemberCluster.freePort();
      c.cluster(0).memberUpdate(MemberUpdateRequest.newBuilder().setID(learnerId).addPeerURLs(moved).build());
      assertThat(members(c, 0).get(learnerId).getPeerURLsList()).containsExactly(moved);
      assertStatus(() -> c.cluster(0).memberUpdate(MemberUpdateRequest.newBuilder().setID(learnerId)
          .addPeerURLs(selfUrl).build()), Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists");
      c.cluster(0).memberRemove(MemberRemoveRequest.newBuilder().setID(learnerId).build());
      assertThat(members(c, 0)).containsOnlyKeys(self);
      // the cluster still writes, and a restart keeps the removal
      c.put(0, 10, 20);
      c.stop(0);
      c.start(0);
      assertThat(members(c, 0)).containsOnlyKeys(self);
      assertThat(c.keysOn(0, false)).hasSize(20);
      assertThat(c.kv(0).range(RangeRequest.newBuilder().setKey(b("k0")).build()).getKvsCount()).isEqualTo(1);
    }
  }
}
