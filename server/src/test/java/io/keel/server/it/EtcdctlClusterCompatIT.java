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
 * --cluster, move-leader, reads and writes through a follower). Both clusters run with the same flags on
 * the same ports (so the same member ids), member 1 is made leader first, and etcdctl talks to member 1.
 * Masking: {@link ClusterMasker}. Transcripts go to target/it-logs.
 */
class EtcdctlClusterCompatIT {
  static final String SCRIPT = "etcdctl-cluster.script";
  private static final Path OUT_DIR = Path.of("target", "it-logs");
  private static final Duration BUDGET = Duration.ofSeconds(120);

  @Test
  void etcdctlGetsIdenticalClusterAnswersFromThreeKeelMembersAndThreeEtcdMembers() {
    EtcdctlScript script = EtcdctlScript.load(SCRIPT);
    ServerFlags base = ServerFlags.named("ccompat");

    int[] ports;
    EtcdctlTranscript reference;
    try (ProcessCluster etcd = ProcessCluster.etcd(base, 3)) {
      ports = etcd.ports();
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
      return EtcdctlTranscript.record(label, script, new Etcdctl(cluster.member(0).clientEndpoint()),
          masker::mask, arg -> arg.replace("%id2%", id2).replace("%dir%", scratch.toString()),
          () -> cluster.members().stream().filter(m -> !m.isAlive()).findFirst()
              .map(m -> m + " exited with code " + m.exitCode().orElse(-1)).orElse(null),
          BUDGET);
    } finally {
      ServerProcess.deleteRecursively(scratch);
    }
  }
}
