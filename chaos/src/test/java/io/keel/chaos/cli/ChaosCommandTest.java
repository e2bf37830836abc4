package io.keel.chaos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.chaos.nemesis.Nemesis;
import org.junit.jupiter.api.Test;

/** Command-line parsing: durations and nemesis names fail with a message naming the flag or the name. */
class ChaosCommandTest {
  @Test
  void durations() {
    assertThat(ChaosCommand.parseMs("--time-limit", "60s")).isEqualTo(60_000);
    assertThat(ChaosCommand.parseMs("--time-limit", "10m")).isEqualTo(600_000);
    assertThat(ChaosCommand.parseMs("--op-timeout", "500ms")).isEqualTo(500);
    assertThat(ChaosCommand.parseMs("--time-limit", "1h")).isEqualTo(3_600_000);
    assertThat(ChaosCommand.parseMs("--time-limit", "30")).isEqualTo(30_000);
    assertThatThrownBy(() -> ChaosCommand.parseMs("--time-limit", "soon")).hasMessageContaining("--time-limit");
  }

  @Test
  void nemesisNames() {
    for (String n : new String[] {"partition", "partition-halves", "isolate-leader", "one-way", "kill", "pause"}) {
      assertThat(Nemesis.named(n).name()).isEqualTo(n);
    }
    assertThatThrownBy(() -> Nemesis.named("meteor")).hasMessageContaining("unknown nemesis 'meteor'");
  }

  @Test
  void everyKnownNemesisBuildsAndNamesTheToolsItsMembersNeed() {
    for (String n : Nemesis.KNOWN) {
      assertThat(Nemesis.named(n).name()).isEqualTo(n);
    }
    assertThat(Nemesis.named("kill").memberTools()).isEmpty();
    assertThat(Nemesis.memberTools(java.util.List.of(Nemesis.named("lost-writes"), Nemesis.named("clock"),
        Nemesis.named("partition")))).containsExactlyInAnyOrder(io.keel.chaos.cluster.MemberTools.FS_LEDGER,
        io.keel.chaos.cluster.MemberTools.CLOCK_SHIFT);
    assertThat(Nemesis.named("bitflip").memberTools()).containsExactly(io.keel.chaos.cluster.MemberTools.FS_LEDGER);
  }
}
