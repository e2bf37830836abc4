package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * etcdctl 3.4's membership commands get the same answers from a 3-member Keel as from a 3-member real etcd 3.4
 * (same flags, same ports): member add (a learner), list, promote, update, remove and their errors. Between the
 * two parts of the script a fourth member is started exactly as "member add" printed (ETCD_NAME,
 * ETCD_INITIAL_CLUSTER, ETCD_INITIAL_ADVERTISE_PEER_URLS, ETCD_INITIAL_CLUSTER_STATE=existing) with an empty
 * data dir; it must catch up, be promoted, and end with the same HashKV as the others. The new member's id is
 * time-based (as in etcd), so it is masked as {@code <member-4>}, and member lists (ordered by id) are compared
 * as sorted lines. Transcripts go to target/it-logs.
 */
class EtcdctlMembershipCompatIT {
  private static final Path OUT_DIR = Path.of("target", "it-logs");
  private static final Duration BUDGET = Duration.ofSeconds(90);
  private static final Pattern ADDED = Pattern.compile("Member +([0-9a-f]+) added to cluster");
  private static final Pattern ENV = Pattern.compile("(?m)^(ETCD_[A-Z_]+)=\"([^\"]*)\"$");
  private static final Pattern MEMBER_LINE = Pattern.compile("^<member-\\d+>, (started|unstarted), .*");
  private static final Pattern INITIAL_CLUSTER = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"");

  /** One run's two transcripts and the fourth member's process. */
  private record Run(EtcdctlTranscript added, EtcdctlTranscript changed, List<Long> hashes) {}

  @Test
  void etcdctlMemberCommandsGetTheSameAnswersFromKeelAsFromEtcd() {
    ServerFlags base = ServerFlags.named("mcompat");
    int[] ports = EtcdctlClusterCompatIT.portsInIdOrder(base);
    int[] extra = LoopbackPorts.freePorts(3);
    Run reference;
    try (ProcessCluster etcd = ProcessCluster.etcdOnPorts(base, ports)) {
      reference = run("etcd-3.4x3", base, etcd, extra, EtcdProcess::new);
    }
    Path ref1 = reference.added().writeTo(OUT_DIR.resolve("etcdctl-member-add-etcd.txt"));
    Path ref2 = reference.changed().writeTo(OUT_DIR.resolve("etcdctl-member-change-etcd.txt"));
    assertThat(reference.added().expectationFailures()).as("script claims on etcd: " + ref1).isEmpty();
    assertThat(reference.changed().expectationFailures()).as("script claims on etcd: " + ref2).isEmpty();

    Run candidate;
    try (ProcessCluster keel = ProcessCluster.keelOnPorts(base, ports)) {
      candidate = run("keel-x3", base, keel, extra, KeelProcess::new);
    }
    Path cand1 = candidate.added().writeTo(OUT_DIR.resolve("etcdctl-member-add-keel.txt"));
    Path cand2 = candidate.changed().writeTo(OUT_DIR.resolve("etcdctl-member-change-keel.txt"));
    String differences = EtcdctlTranscript.differences(reference.added(), candidate.added())
        + EtcdctlTranscript.differences(reference.changed(), candidate.changed());
    if (!differences.isEmpty()) {
      fail(differences + "\nFull masked transcripts: " + ref1.toAbsolutePath() + ", " + ref2.toAbsolutePath()
          + " and " + cand1.toAbsolutePath() + ", " + cand2.toAbsolutePath());
    }
    assertThat(candidate.hashes()).as("HashKV of members 1, 2 and the added member").hasSize(3)
        .containsOnly(candidate.hashes().get(0));
  }

  private static Run run(String label, ServerFlags base, ProcessCluster cluster, int[] extra,
      Function<ServerFlags, ServerProcess> factory) {
    cluster.moveLeaderTo(0, Duration.ofSeconds(30));
    // etcd refuses reconfiguration until every voter has been connected for its health interval (5 s)
    ProcessCluster.sleepMillis(6000);
    long[] ids = new long[4];
    for (int i = 0; i < 3; i++) {
      ids[i] = cluster.memberId(i);
    }
    int[] allPorts = Arrays.copyOf(cluster.ports(), 12);
    System.arraycopy(extra, 0, allPorts, 9, 3);
    String name4 = base.name() + "-4";
    Map<String, String> vars = new HashMap<>();
    vars.put("%name4%", name4);
    vars.put("%peer1%", Integer.toString(cluster.ports()[1]));
    vars.put("%peer4%", Integer.toString(extra[1]));
    vars.put("%id2%", Long.toHexString(ids[1]));
    vars.put("%id3%", Long.toHexString(ids[2]));
    String[] addOutput = {""};
    Function<String, String> mask = text -> {
      Matcher m = ADDED.matcher(text);
      if (m.find() && ids[3] == 0) {
        ids[3] = Long.parseUnsignedLong(m.group(1), 16);
        vars.put("%id4%", m.group(1));
        addOutput[0] = text;
      }
      long[] known = ids[3] == 0 ? Arrays.copyOf(ids, 3) : ids;
      // etcdctl prints ids with %16x: a shorter id is padded with spaces
      String masked = new ClusterMasker(known, allPorts, "").mask(sortInitialCluster(text)).replaceAll(" {2,}", " ")
          // Keel's cluster id is etcd's with the top bit cleared
          .replaceAll("(added to|promoted in|updated in|removed from) cluster [0-9a-f]+", "$1 cluster <cluster-id>");
      return sortMemberLines(masked);
    };
    Etcdctl etcdctl = new Etcdctl(cluster.member(0).clientEndpoint());
    ServerProcess fourth = null;
    try {
      EtcdctlTranscript added = EtcdctlTranscript.record(label, EtcdctlScript.load("etcdctl-member-add.script"),
          etcdctl, mask::apply, arg -> substitute(arg, vars), () -> deadReason(cluster, null), BUDGET);
      Map<String, String> env = new HashMap<>();
      Matcher e = ENV.matcher(addOutput[0]);
      while (e.find()) {
        env.put(e.group(1), e.group(2));
      }
      assertThat(env).as("member add printed the new member's environment: " + addOutput[0])
          .containsKeys("ETCD_NAME", "ETCD_INITIAL_CLUSTER", "ETCD_INITIAL_ADVERTISE_PEER_URLS",
              "ETCD_INITIAL_CLUSTER_STATE");
      fourth = factory.apply(base.withName(env.get("ETCD_NAME")));
      fourth.useLayout(new MemberLayout(extra[0], extra[1], extra[2], env.get("ETCD_INITIAL_ADVERTISE_PEER_URLS"),
          env.get("ETCD_INITIAL_CLUSTER"), ProcessCluster.clusterToken(base, cluster.ports()),
          env.get("ETCD_INITIAL_CLUSTER_STATE")));
      fourth.launch();
      fourth.awaitReady();
      awaitCaughtUp(cluster, fourth);
      ServerProcess started = fourth;
      EtcdctlTranscript changed = EtcdctlTranscript.record(label,
          EtcdctlScript.load("etcdctl-member-change.script"), etcdctl, mask::apply, arg -> substitute(arg, vars),
          () -> deadReason(cluster, started), BUDGET);
      List<Long> hashes = new ArrayList<>();
      long rev = cluster.readPrefix(0, "after-remove", false).revision();
      for (String endpoint : List.of(cluster.member(0).clientEndpoint(), cluster.member(1).clientEndpoint(),
          fourth.clientEndpoint())) {
        hashes.add(hashAt(endpoint, rev));
      }
      return new Run(added, changed, hashes);
    } finally {
      if (fourth != null) {
        fourth.close();
      }
    }
  }

  private static String substitute(String arg, Map<String, String> vars) {
    String out = arg;
    for (Map.Entry<String, String> v : vars.entrySet()) {
      out = out.replace(v.getKey(), v.getValue());
    }
    return out;
  }

  /** Members 1 and 2 (and the added one once started) must live; member 3 is removed and stops by design. */
  private static String deadReason(ProcessCluster cluster, ServerProcess fourth) {
    for (int i = 0; i < 2; i++) {
      if (!cluster.member(i).isAlive()) {
        return cluster.member(i) + " exited with code " + cluster.member(i).exitCode().orElse(-1);
      }
    }
    if (fourth != null && !fourth.isAlive()) {
      return fourth + " exited with code " + fourth.exitCode().orElse(-1);
    }
    return null;
  }

  /** Waits until the added member applied what the leader has (a promotion needs it in sync). */
  private static void awaitCaughtUp(ProcessCluster cluster, ServerProcess fourth) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    ManagedChannel ch = NettyChannelBuilder.forTarget(fourth.clientEndpoint()).usePlaintext().build();
    try {
      while (true) {
        StatusResponse leader = cluster.status(0).orElse(null);
        StatusResponse own = null;
        try {
          own = MaintenanceGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
              .status(StatusRequest.getDefaultInstance());
        } catch (RuntimeException e) {
          // not answering yet
        }
        if (leader != null && own != null && own.getRaftAppliedIndex() >= leader.getRaftIndex()) {
          return;
        }
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("the added member did not catch up: " + own + " vs leader " + leader);
        }
        ProcessCluster.sleepMillis(100);
      }
    } finally {
      ch.shutdownNow();
    }
  }

  private static long hashAt(String endpoint, long revision) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (true) {
        try {
          return MaintenanceGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
              .hashKV(io.keel.proto.etcdserverpb.HashKVRequest.newBuilder().setRevision(revision).build())
              .getHash() & 0xffffffffL;
        } catch (RuntimeException e) {
          if (System.nanoTime() - deadline > 0) {
            throw e;
          }
          ProcessCluster.sleepMillis(200); // the member has not applied that revision yet
        }
      }
    } finally {
      ch.shutdownNow();
    }
  }

  /** etcdctl prints ETCD_INITIAL_CLUSTER in member-id order; ids are random, so compare the entries sorted. */
  static String sortInitialCluster(String text) {
    Matcher m = INITIAL_CLUSTER.matcher(text);
    if (!m.find()) {
      return text;
    }
    List<String> parts = new ArrayList<>(List.of(m.group(1).split(",")));
    parts.sort(null);
    return text.substring(0, m.start(1)) + String.join(",", parts) + text.substring(m.end(1));
  }

  /** A member list's lines (ordered by random ids) sorted by their masked text. */
  static String sortMemberLines(String text) {
    List<String> lines = new ArrayList<>(List.of(text.split("\n")));
    if (lines.isEmpty() || !lines.stream().allMatch(l -> MEMBER_LINE.matcher(l).matches())) {
      return text;
    }
    lines.sort(null);
    return String.join("\n", lines) + (text.endsWith("\n") ? "\n" : "");
  }
}
