package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Keel issue 4 acceptance: real etcdctl 3.4 gets the same answers from a 3-member Keel as from a 3-member
 * real etcd 3.4 for the cluster commands (etcdctl-cluster.script: member list, endpoint status/health/hashkv
 * --cluster, move-leader, snapshot save, reads and writes through a follower). Both clusters run with the same flags on
 * the same ports, member 1 is made leader first, and etcdctl talks to member 1. Masking: {@link ClusterMasker}
 * (raft indexes there are masked; {@link #assertRaftIndexesConverge} checks them). Transcripts go to
 * target/it-logs.
 */
class EtcdctlClusterCompatIT {
  static final String SCRIPT = "etcdctl-cluster.script";
  private static final Path OUT_DIR = Path.of("target", "it-logs");
  private static final Duration BUDGET = Duration.ofSeconds(120);

  @Test
  void etcdctlGetsIdenticalClusterAnswersFromThreeKeelMembersAndThreeEtcdMembers() {
    EtcdctlScript script = EtcdctlScript.load(SCRIPT);
    ServerFlags base = ServerFlags.named("ccompat");

    int[] ports = portsInIdOrder(base);
    EtcdctlTranscript reference;
    try (ProcessCluster etcd = ProcessCluster.etcdOnPorts(base, ports)) {
      reference = record("etcd-3.4x3", script, etcd);
    }
    Path referenceFile = reference.writeTo(OUT_DIR.resolve("etcdctl-cluster-etcd.txt"));
    assertThat(reference.expectationFailures())
        .as("the script's own claims must hold on real etcd; transcript: " + referenceFile.toAbsolutePath())
        .isEmpty();

    EtcdctlTranscript candidate;
    try (ProcessCluster keel = ProcessCluster.keelOnPorts(base, ports)) {
      candidate = record("keel-x3", script, keel);
    }
    Path candidateFile = candidate.writeTo(OUT_DIR.resolve("etcdctl-cluster-keel.txt"));
    String differences = EtcdctlTranscript.differences(reference, candidate);
    if (!differences.isEmpty()) {
      fail(differences + "\nFull masked transcripts: " + referenceFile.toAbsolutePath() + " and "
          + candidateFile.toAbsolutePath());
    }
  }

  /**
   * Free ports for 3 members, ordered so that member lists compare: etcd and Keel both list members by id, but
   * Keel's id is etcd's with the top bit cleared, so the ports are drawn until both orders agree with the names'.
   */
  static int[] portsInIdOrder(ServerFlags base) {
    for (int attempt = 0; ; attempt++) {
      int[] ports = inEtcdIdOrder(base, LoopbackPorts.freePorts(9));
      String token = ProcessCluster.clusterToken(base, ports);
      long[] keelIds = new long[3];
      for (int i = 0; i < 3; i++) {
        keelIds[i] = etcdMemberId(ports[3 * i + 1], token) & Long.MAX_VALUE;
      }
      if ((keelIds[0] < keelIds[1] && keelIds[1] < keelIds[2]) || attempt >= 100) {
        return ports;
      }
    }
  }

  /**
   * etcd lists members by id: so that the lists compare, the member slots are ordered so that names ascend with
   * etcd's ids (SHA-1 of the peer URL and the cluster token, first 8 bytes).
   */
  static int[] inEtcdIdOrder(ServerFlags base, int[] ports) {
    String token = ProcessCluster.clusterToken(base, ports);
    Integer[] slots = {0, 1, 2};
    java.util.Arrays.sort(slots, (a, b) -> Long.compareUnsigned(etcdMemberId(ports[3 * a + 1], token),
        etcdMemberId(ports[3 * b + 1], token)));
    int[] out = new int[ports.length];
    for (int i = 0; i < slots.length; i++) {
      System.arraycopy(ports, 3 * slots[i], out, 3 * i, 3);
    }
    return out;
  }

  private static long etcdMemberId(int peerPort, String token) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(
          ("http://127.0.0.1:" + peerPort + token).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.nio.ByteBuffer.wrap(digest, 0, 8).getLong();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Polls Status until every member reports the same raft index and has applied it (masked in the transcript). */
  private static void assertRaftIndexesConverge(ProcessCluster cluster) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (true) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (int i = 0; i < cluster.size(); i++) {
        seen.add(cluster.status(i).map(s -> s.getRaftIndex() + "/" + s.getRaftAppliedIndex()).orElse("none"));
      }
      if (seen.size() == 1 && !seen.contains("none")) {
        String[] parts = seen.iterator().next().split("/");
        assertThat(parts[1]).as("applied index = raft index").isEqualTo(parts[0]);
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("raft indexes did not converge: " + cluster.describeStatuses());
      }
      ProcessCluster.sleepMillis(100);
    }
  }

  private static EtcdctlTranscript record(String label, EtcdctlScript script, ProcessCluster cluster) {
    cluster.moveLeaderTo(0, Duration.ofSeconds(30));
    long[] ids = new long[cluster.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = cluster.memberId(i);
    }
    Path scratch;
    try {
      scratch = Files.createTempDirectory("keel-it-etcdctl-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      ClusterMasker masker = new ClusterMasker(ids, cluster.ports(), scratch.toString());
      String id2 = Long.toHexString(ids[1]);
      EtcdctlTranscript transcript = EtcdctlTranscript.record(label, script, new Etcdctl(cluster.member(0).clientEndpoint()),
          masker::mask, arg -> arg.replace("%id2%", id2).replace("%dir%", scratch.toString()),
          () -> cluster.members().stream().filter(m -> !m.isAlive()).findFirst()
              .map(m -> m + " exited with code " + m.exitCode().orElse(-1)).orElse(null),
          BUDGET);
      assertRaftIndexesConverge(cluster);
      return transcript;
    } finally {
      ServerProcess.deleteRecursively(scratch);
    }
  }
}
