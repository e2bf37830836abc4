package io.keel.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Recorder;
import io.keel.chaos.nemesis.MembershipNemesis;
import io.keel.chaos.nemesis.Schedule;
import io.keel.chaos.workload.RegisterWorkload;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.Workload;
import io.keel.chaos.workload.WorkloadReport;
import io.keel.proto.etcdserverpb.ClusterGrpc;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.HashKVResponse;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.MemberListRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.MemberAddRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import java.nio.file.Path;
import java.util.Random;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The membership nemesis end to end (local, not in CI's list): a register workload on a 3-member cluster while
 * members are removed, wiped and re-added (as voters or learners then promoted) must check linearizable, and
 * the group must end with all three members voting, serving, and agreeing on HashKV. Runs the pieces ChaosRun
 * runs itself, so that it can inspect the cluster before it is closed. Needs Docker (scripts/install-docker.sh).
 */
class MembershipSmokeIT {
  private static final Path RUNS = Path.of("target", "runs");

  @Test
  void registerUnderMembershipChangesIsLinearizableAndTheGroupEndsWhole() throws Exception {
    String image = NodeImage.build(NodeImage.projectRoot());
    long startNanos = System.nanoTime();
    RunOptions o = new RunOptions(image, 3, List.of("membership"), 80_000, 6, 1_000, 4_000, 8_000, 11, Set.of(),
        RUNS);
    Workload register = new RegisterWorkload(o, startNanos);
    MembershipNemesis nemesis = new MembershipNemesis();
    Recorder nemesisRec = new Recorder(10_000, startNanos);
    Path dir = RUNS.resolve("membership-smoke-" + System.currentTimeMillis());
    try (DockerCluster cluster = DockerCluster.start(image, 3, Set.of())) {
      long deadline = System.nanoTime() + o.timeLimitMs() * 1_000_000L;
      Schedule schedule = new Schedule(cluster, List.of(nemesis), nemesisRec, o.seed(), o.quietMs(), o.faultMs(),
          deadline);
      Thread t = new Thread(schedule, "chaos-nemesis");
      t.start();
      register.run(cluster, deadline);
      t.join(300_000);
      assertThat(t.isAlive()).as("nemesis thread still running").isFalse();
      register.finish(cluster);
      cluster.saveLogs(dir.resolve("logs"));

      nemesisRec.history().save(dir.resolve("nemesis.jsonl"));
      List<Op> events = nemesisRec.history().events().stream().filter(Op::isNemesis).toList();
      WorkloadReport r = register.check(dir.resolve("register"), events);
      assertThat(nemesis.removals()).as("removals; events %s", events).isGreaterThanOrEqualTo(1);
      assertThat(nemesis.readds()).as("re-adds; events %s", events).isEqualTo(nemesis.removals());
      assertThat(events).as("nemesis errors").noneMatch(e -> e.f().startsWith("error-"));

      for (Node n : cluster.nodes()) {
        List<Member> members = ClusterGrpc.newBlockingStub(n.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
            .memberList(MemberListRequest.newBuilder().setLinearizable(true).build()).getMembersList();
        assertThat(members).as("group seen by %s", n.name()).hasSize(3).noneMatch(Member::getIsLearner);
        assertThat(members.stream().map(Member::getName).sorted().toList()).containsExactly("n1", "n2", "n3");
      }
      assertEqualHashes(cluster);

      assertThat(r.verdict()).as(r.text()).isEqualTo(Verdict.VALID);
      assertThat(r.ok()).as("acknowledged operations").isGreaterThan(100);
    }
  }

  /**
   * A heal that stopped half-way (MemberAdd done, the container never started) is finished by the next heal,
   * which starts the member empty and promotes it; a second start while a member is out is refused; a heal with
   * nothing removed says so.
   */
  @Test
  void aHalfDoneReAddIsFinishedByTheNextHeal() throws Exception {
    String image = NodeImage.build(NodeImage.projectRoot());
    MembershipNemesis nemesis = new MembershipNemesis();
    try (DockerCluster cluster = DockerCluster.start(image, 3, Set.of())) {
      assertThat(nemesis.stop(cluster)).isEqualTo("nothing to re-add");
      String removed = nemesis.start(cluster, new Random(5));
      Node out = cluster.nodes().stream().filter(n -> removed.startsWith("removed " + n.name() + " ")).findFirst()
          .orElseThrow();
      assertThat(cluster.isRunning(out)).isFalse();
      assertThatThrownBy(() -> nemesis.start(cluster, new Random(6))).isInstanceOf(IllegalStateException.class);
      Node via = cluster.nodes().stream().filter(n -> n != out).findFirst().orElseThrow();
      ClusterGrpc.newBlockingStub(via.channel()).withDeadlineAfter(5, TimeUnit.SECONDS).memberAdd(
          MemberAddRequest.newBuilder().addPeerURLs("http://" + out.name() + ":2380").setIsLearner(true).build());

      String healed = nemesis.stop(cluster);
      assertThat(healed).contains("already added").contains("promoted " + out.name());
      List<Member> members = ClusterGrpc.newBlockingStub(out.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
          .memberList(MemberListRequest.newBuilder().setLinearizable(true).build()).getMembersList();
      assertThat(members).hasSize(3).noneMatch(Member::getIsLearner);
      KVGrpc.newBlockingStub(out.channel()).withDeadlineAfter(5, TimeUnit.SECONDS).put(PutRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8("after-rejoin")).setValue(ByteString.copyFromUtf8("1")).build());
      assertThat(nemesis.stop(cluster)).isEqualTo("nothing to re-add");
      assertEqualHashes(cluster);
    }
  }

  /** HashKV at one revision every member has applied must be equal on all three (retried while one catches up). */
  private static void assertEqualHashes(DockerCluster cluster) throws InterruptedException {
    Node first = cluster.nodes().get(0);
    long rev = KVGrpc.newBlockingStub(first.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
        .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("chaos-ready")).build())
        .getHeader().getRevision();
    long deadline = System.nanoTime() + 30_000_000_000L;
    List<String> last = List.of();
    while (System.nanoTime() < deadline) {
      List<String> hashes = new ArrayList<>();
      try {
        for (Node n : cluster.nodes()) {
          HashKVResponse h = MaintenanceGrpc.newBlockingStub(n.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
              .hashKV(HashKVRequest.newBuilder().setRevision(rev).build());
          hashes.add(h.getHash() + "@" + h.getCompactRevision());
        }
        if (new TreeSet<>(hashes).size() == 1) {
          return;
        }
        last = hashes;
      } catch (RuntimeException e) {
        last = List.of(e.toString());
      }
      Thread.sleep(500);
    }
    throw new AssertionError("HashKV at revision " + rev + " differs between members: " + last);
  }
}
