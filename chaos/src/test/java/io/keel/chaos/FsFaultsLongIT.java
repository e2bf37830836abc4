package io.keel.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.workload.ChaosRun;
import io.keel.chaos.workload.RunOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real build under the file-system and clock nemeses, register workload: lost un-fsynced writes on crashes
 * of one member, a majority or all at once; bit flips in WAL segments and snapshot files (each member either
 * refuses naming the damaged file, or starts and serves nothing divergent); wall-clock jumps. Each must check
 * linearizable. Too long for CI (about 2.5 minutes per test on a loaded 2-core machine): excluded from the
 * default failsafe run, run with {@code mvn -pl chaos -am verify -Dit.test=FsFaultsLongIT
 * -Dfailsafe.failIfNoSpecifiedTests=false -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class FsFaultsLongIT {
  private static final Path RUNS = Path.of("target", "runs");
  private static String image;

  @BeforeAll
  static void buildImage() throws Exception {
    image = NodeImage.build(NodeImage.projectRoot());
  }

  private static ChaosRun.Summary run(String nemesis, long seed) throws Exception {
    return ChaosRun.run(new RunOptions(image, 3, List.of(nemesis), 90_000, 6, 1_000, 5_000, 4_000, seed, Set.of(),
        RUNS), List.of("register"));
  }

  @Test
  void lostUnsyncedWritesKeepTheRealBuildLinearizable() throws Exception {
    ChaosRun.Summary s = run("lost-writes", 11);
    assertThat(s.faultsInjected()).as("faults injected").isGreaterThanOrEqualTo(2);
    assertThat(s.verdict()).as(s.reportText()).isEqualTo(Verdict.VALID);
    assertThat(history(s)).contains("restarted from synced state").doesNotContain("error-lost-writes");
  }

  @Test
  void bitFlipsAreRefusedNamingTheFileOrSurvived() throws Exception {
    ChaosRun.Summary s = run("bitflip", 12);
    assertThat(s.faultsInjected()).as("faults injected").isGreaterThanOrEqualTo(2);
    assertThat(s.verdict()).as(s.reportText()).isEqualTo(Verdict.VALID);
    String h = history(s);
    assertThat(h).contains("flip bit").doesNotContain("WITHOUT NAMING THE FILE").doesNotContain("error-bitflip");
  }

  @Test
  void wallClockJumpsKeepTheRunLinearizable() throws Exception {
    ChaosRun.Summary s = run("clock", 13);
    assertThat(s.faultsInjected()).as("faults injected").isGreaterThanOrEqualTo(2);
    assertThat(s.verdict()).as(s.reportText()).isEqualTo(Verdict.VALID);
    assertThat(history(s)).contains("clock jump").doesNotContain("error-clock");
  }

  private static String history(ChaosRun.Summary s) throws Exception {
    return Files.readString(s.dir().resolve("nemesis.jsonl"), StandardCharsets.UTF_8);
  }
}
