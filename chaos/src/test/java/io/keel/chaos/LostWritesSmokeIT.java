package io.keel.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.keel.chaos.checker.Verdict;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.MemberTools;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.workload.ChaosRun;
import io.keel.chaos.workload.RunOptions;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CI smoke of the lost-writes nemesis: (1) the fsync ledger shim sees the syncs of the JDK's
 * FileChannel.force (the WAL) and of RocksDB (the key-value store), and a member crashed as in a power loss (its
 * unsynced data reverted) still has every acknowledged write; (2) the negative control — members built to skip
 * the WAL's fsyncs (--unsafe-testing-faults skip-fsync), all crashed at once — lose acknowledged writes and the
 * register checker catches it. Needs a running Docker engine (scripts/install-docker.sh).
 */
class LostWritesSmokeIT {
  private static final Path RUNS = Path.of("target", "runs");
  private static String image;

  @BeforeAll
  static void buildImage() throws Exception {
    image = NodeImage.build(NodeImage.projectRoot());
  }

  @Test
  void ledgerSeesJdkAndRocksDbSyncsAndAcknowledgedWritesSurviveACrash() throws Exception {
    try (DockerCluster cluster = DockerCluster.start(image, 1, Set.of(), Set.of(MemberTools.FS_LEDGER))) {
      Node n = cluster.nodes().get(0);
      for (int i = 0; i < 20; i++) {
        KVGrpc.newBlockingStub(n.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).put(PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("k" + i)).setValue(ByteString.copyFromUtf8("v" + i)).build());
      }
      String ledger = cluster.exec(n, "cat", DockerCluster.FS_STATE_DIR + "/ledger");
      assertThat(Pattern.compile("(?m)^S \\d+ \\d+ /data/n1/member/wal/\\S+\\.wal$").matcher(ledger).find())
          .as("an fsync/fdatasync of a WAL segment (FileChannel.force) in the ledger:\n" + ledger).isTrue();
      assertThat(Pattern.compile("(?m)^S \\d+ \\d+ /data/n1/member/kv/\\S+$").matcher(ledger).find())
          .as("an fsync of a RocksDB file in the ledger:\n" + ledger).isTrue();
      assertThat(Pattern.compile("(?m)^C \\d+ \\d+ /data/n1/").matcher(ledger).find())
          .as("file creations in the ledger").isTrue();

      cluster.exec(n, "touch", DockerCluster.FS_STATE_DIR + "/crash");
      cluster.kill(n);
      cluster.restart(n);
      assertThat(cluster.logs(n)).contains("lost-writes revert (exit 0)");
      for (int i = 0; i < 20; i++) {
        RangeResponse r = KVGrpc.newBlockingStub(n.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
            .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k" + i)).build());
        assertThat(r.getKvsList()).as("acknowledged key k" + i + " after the crash").hasSize(1);
        assertThat(r.getKvs(0).getValue().toStringUtf8()).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void skipFsyncUnderLostWritesIsCaught() throws Exception {
    ChaosRun.Summary s = ChaosRun.run(new RunOptions(image, 3, List.of("lost-writes-all"), 90_000, 6, 1_000,
        5_000, 3_000, 4, Set.of("skip-fsync"), RUNS), List.of("register"));
    assertThat(s.faultsInjected()).as("faults injected").isGreaterThanOrEqualTo(1);
    assertThat(s.verdict()).as(s.reportText()).isEqualTo(Verdict.INVALID);
    assertThat(s.reportText()).contains("smallest failing window");
  }
}
