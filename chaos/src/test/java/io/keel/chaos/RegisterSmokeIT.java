package io.keel.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.workload.ChaosRun;
import io.keel.chaos.workload.RunOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CI chaos smoke: a 3-member Keel cluster in Docker under partitions and kill -9 with a register workload
 * must check linearizable; and the negative control — members that serve linearizable reads locally
 * (--unsafe-testing-faults local-linearizable-reads) with the leader isolated — must be caught. Needs a
 * running Docker engine (scripts/install-docker.sh); the node image is built by scripts/build-node-image.sh.
 */
class RegisterSmokeIT {
  private static String image;
  private static final Path RUNS = Path.of("target", "runs");

  @BeforeAll
  static void buildImage() throws Exception {
    image = NodeImage.build(NodeImage.projectRoot());
  }

  @Test
  void registerUnderPartitionAndKillIsLinearizable() throws Exception {
    // 75 s: a kill's restart (JVM start, peers' DNS names resolving again, the leader's first contact) took 19-34 s
    // on CI's box, and each fault also costs 5 s quiet + 8 s; two faults must fit even with a slow restart.
    ChaosRun.Summary s = ChaosRun.run(new RunOptions(image, 3, List.of("partition", "kill"), 75_000, 10, 1_000,
        5_000, 8_000, 42, Set.of(), RUNS), List.of("register"));
    assertThat(s.verdict()).as(s.reportText()).isEqualTo(Verdict.VALID);
    assertThat(s.workload("register").anomalies()).isZero();
    assertThat(s.faultsInjected()).as("faults injected").isGreaterThanOrEqualTo(2);
    assertThat(s.workload("register").ok()).as("acknowledged operations").isGreaterThan(300);
  }

  @Test
  void localLinearizableReadsUnderAnIsolatedLeaderAreCaught() throws Exception {
    ChaosRun.Summary s = ChaosRun.run(new RunOptions(image, 3, List.of("isolate-leader"), 30_000, 10, 1_000,
        4_000, 10_000, 7, Set.of("local-linearizable-reads"), RUNS), List.of("register"));
    assertThat(s.faultsInjected()).as("faults injected").isGreaterThanOrEqualTo(1);
    assertThat(s.verdict()).as(s.reportText()).isEqualTo(Verdict.INVALID);
    assertThat(s.reportText()).contains("smallest failing window");
  }
}
