package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keel issue 4 acceptance: a partitioned minority cannot commit or serve linearizable reads. Three real Keel
 * processes whose peer links run through in-test TCP proxies; the leader is cut off from both followers (a
 * real socket-level partition). The isolated old leader must refuse puts (they fail with etcd's errors and
 * are not committed while the partition lasts) and linearizable reads, while it still serves serializable reads from its local state; the majority elects
 * a new leader and keeps committing. After healing, the old leader catches up and all HashKV are equal.
 */
class ClusterPartitionIT {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterPartitionIT.class);

  @Test
  void anIsolatedLeaderCannotCommitNorServeLinearizableReadsAndCatchesUpAfterHealing() {
    try (ProcessCluster cluster = ProcessCluster.keel(ServerFlags.named("part"), 3, true)) {
      int minority = cluster.awaitLeader(Duration.ofSeconds(20));
      try (WriteLoad before = new WriteLoad(cluster, "pt/before/w", 8, 400).start(Duration.ofSeconds(20))) {
        before.awaitEnd(Duration.ofSeconds(40));
        assertThat(before.failures()).as("puts failed before any partition").isZero();
        ClusterChecks.assertAllAckedReadable(cluster, minority, "pt/before/w", before);

        cluster.isolate(minority);
        int[] majority = others(minority, cluster.size());
        int newLeader = cluster.awaitLeader(Duration.ofSeconds(30), minority);
        LOG.info("isolated old leader {}; majority leader {}", cluster.member(minority), cluster.member(newLeader));

        for (int i = 0; i < 3; i++) {
          String key = "pt/minority/" + i;
          StatusRuntimeException e = expectFailure(() -> KVGrpc.newBlockingStub(cluster.channel(minority))
              .withDeadlineAfter(8, TimeUnit.SECONDS)
              .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                  .setValue(ByteString.copyFromUtf8("must-not-commit")).build()));
          LOG.info("put on the isolated member: {}", e.getStatus());
        }
        StatusRuntimeException readError = expectFailure(() -> KVGrpc.newBlockingStub(cluster.channel(minority))
            .withDeadlineAfter(8, TimeUnit.SECONDS)
            .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("pt/before/w0/0")).build()));
        LOG.info("linearizable read on the isolated member: {}", readError.getStatus());
        ProcessCluster.Read stale = cluster.readPrefix(minority, "pt/before/w", true);
        assertThat(stale.values()).as("serializable read on the isolated member").containsAllEntriesOf(
            before.acked());

        try (WriteLoad during = new WriteLoad(cluster, "pt/during/w", 8, 400, majority)
            .start(Duration.ofSeconds(20))) {
          during.awaitEnd(Duration.ofSeconds(40));
          LOG.info("majority during the partition: {} acked, {} failed {}", during.ackedCount(),
              during.failures(), during.failureCodes());
          assertThat(during.ackedCount()).as("puts the majority committed during the partition")
              .isGreaterThanOrEqualTo(300);
          ClusterChecks.assertAllAckedReadable(cluster, newLeader, "pt/during/w", during);
          assertThat(cluster.readPrefix(minority, "pt/during/w", true).values())
              .as("the isolated member saw none of the majority's writes").isEmpty();
          assertThat(cluster.readPrefix(newLeader, "pt/minority/", false).values())
              .as("nothing the isolated member was asked to write committed during the partition").isEmpty();

          cluster.healAll();
          cluster.assertHashesConverge(Duration.ofSeconds(60));
          cluster.awaitLeader(Duration.ofSeconds(30));
          ClusterChecks.assertAllAckedReadable(cluster, minority, "pt/during/w", during);
          // "request timed out" leaves the outcome open (as in etcd): such a put may still commit later.
          // Keel parks proposals made while no leader is known and re-proposes them once one is, so these
          // may appear after healing (etcd would have dropped them); logged, not asserted.
          LOG.info("after healing, of the puts refused during the partition these were applied: {}",
              cluster.readPrefix(newLeader, "pt/minority/", false).values().keySet());
        }
      }
    }
  }

  private static int[] others(int excluded, int size) {
    return java.util.stream.IntStream.range(0, size).filter(i -> i != excluded).toArray();
  }

  private static StatusRuntimeException expectFailure(Runnable call) {
    List<StatusRuntimeException> caught = new ArrayList<>();
    assertThatThrownBy(() -> {
      try {
        call.run();
      } catch (StatusRuntimeException e) {
        caught.add(e);
        throw e;
      }
    }).isInstanceOf(StatusRuntimeException.class);
    // etcd's "request timed out" / "no leader" / "leader changed" are UNAVAILABLE; or the client deadline hit
    assertThat(caught.get(0).getStatus().getCode()).as("error code: " + caught.get(0).getStatus())
        .isIn(io.grpc.Status.Code.UNAVAILABLE, io.grpc.Status.Code.DEADLINE_EXCEEDED);
    return caught.get(0);
  }
}
