package io.keel.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class WatchThreadCpuTest {

  @Test
  void parsesUserAndSystemTicksEvenWithSpacesAndParensInTheName() {
    String stat = "1234 (grpc (x) 2) S 1 1234 1234 0 -1 4194368 100 0 0 0 250 37 0 0 20 0 30 0 100 0 0";
    assertThat(WatchThreadCpu.name(stat)).isEqualTo("grpc (x) 2");
    assertThat(WatchThreadCpu.parse(stat)).containsExactly(250, 37);
    assertThat(WatchThreadCpu.parse("garbage")).isNull();
    assertThat(WatchThreadCpu.parse("1 (a) S 1 2")).isNull();
  }

  @Test
  void groupsPoolThreadsAndOrdersTheDeltaByCpu() {
    assertThat(WatchThreadCpu.group("grpc-nio-worker-ELG-3-2")).isEqualTo("grpc-nio-worker-ELG");
    assertThat(WatchThreadCpu.group("keel-watch-dispatch")).isEqualTo("keel-watch-dispatch");
    assertThat(WatchThreadCpu.group("C2 CompilerThre")).isEqualTo("C CompilerThre");
    Map<String, Long> d = WatchThreadCpu.delta(Map.of("a", 10L, "b", 5L), Map.of("a", 30L, "b", 100L, "c", 1L), 2);
    assertThat(d.keySet()).containsExactly("b", "a");
    assertThat(WatchThreadCpu.format(Map.of("x", 2_000_000L), 3)).isEqualTo("x 2 ms");
  }

  @Test
  void snapshotsThisProcess() {
    assertThat(WatchThreadCpu.snapshot(ProcessHandle.current().pid())).isNotEmpty();
    assertThat(WatchThreadCpu.snapshot(-1)).isEmpty();
  }
}
