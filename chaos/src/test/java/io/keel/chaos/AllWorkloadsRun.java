package io.keel.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.workload.ChaosRun;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.WorkloadReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The JUnit entry point for long chaos runs (not part of CI: its name matches neither *Test nor *IT). Runs
 * {@code -Dchaos.workload} (default all) under {@code -Dchaos.nemesis} (default partition) for
 * {@code -Dchaos.timeLimitSec} (default 600) on a Docker cluster, and requires every workload's verdict VALID:
 * {@code mvn -pl chaos -am verify -Dit.test=AllWorkloadsRun -Dfailsafe.failIfNoSpecifiedTests=false
 * -Dchaos.nemesis=kill}. Needs a running Docker engine (scripts/install-docker.sh).
 */
class AllWorkloadsRun {
  @Test
  void everyWorkloadIsValidUnderTheNemesis() throws Exception {
    String image = NodeImage.build(NodeImage.projectRoot());
    String workload = System.getProperty("chaos.workload", "all");
    List<String> nemeses = List.of(System.getProperty("chaos.nemesis", "partition").split(","));
    long seconds = Long.getLong("chaos.timeLimitSec", 600);
    ChaosRun.Summary s = ChaosRun.run(new RunOptions(image, 3, nemeses, seconds * 1000, 10, 1_000, 5_000, 8_000,
        Long.getLong("chaos.seed", 1), Set.of(), Path.of("target", "runs")), List.of(workload));
    for (WorkloadReport w : s.workloads()) {
      assertThat(w.verdict()).as(w.workload() + ":\n" + w.text()).isEqualTo(Verdict.VALID);
      assertThat(w.ok()).as(w.workload() + " acknowledged operations").isPositive();
    }
    assertThat(s.verdict()).isEqualTo(Verdict.VALID);
    assertThat(s.faultsInjected()).isPositive();
  }
}
