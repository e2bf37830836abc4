package io.keel.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** /proc/<pid>/stat parsing and a real reading of this JVM's CPU. */
class ProcessCpuTest {

  @Test
  void parsesUtimePlusStimeEvenWithParenthesesAndSpacesInTheName() {
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 731 269 0 0 20 0 40 0 100 1 2";
    assertThat(ProcessCpu.parseTicks(stat)).isEqualTo(1000);
    assertThatThrownBy(() -> ProcessCpu.parseTicks("garbage")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcessCpu.parseTicks("1 (x) S 1 2")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void measuresThisProcessBurningCpu() {
    long pid = ProcessHandle.current().pid();
    ProcessCpu.Mark mark = ProcessCpu.Mark.start(List.of(pid));
    long end = System.nanoTime() + 300_000_000L;
    long x = 0;
    while (System.nanoTime() < end) {
      x += Long.numberOfTrailingZeros(x + System.nanoTime());
    }
    ProcessCpu.Usage u = mark.end(100);
    assertThat(x).isPositive();
    // 300 ms of spinning: at least 100 ms of CPU even on a busy machine (ticks are 10 ms)
    assertThat(u.serverCpuNanos()).isGreaterThanOrEqualTo(100_000_000L);
    assertThat(u.serverMsPerOp()).isGreaterThanOrEqualTo(1.0);
    assertThat(ProcessCpu.cpuNanos(List.of(Long.MAX_VALUE))).isZero(); // no such process
    assertThat(new ProcessCpu.Usage(0, 0, 0).serverMsPerOp()).isNaN();
    assertThat(new ProcessCpu.Usage(0, 0, 0).hostStealFraction()).isNaN();
    assertThat(u.hostTotalTicks()).isPositive(); // this is Linux: /proc/stat moved over 300 ms
    assertThat(u.hostStealTicks()).isBetween(0L, u.hostTotalTicks());
  }

  @Test
  void readsTheHostsStealFromProcStat() {
    long[] t = ProcessCpu.parseHostTicks("cpu  100 5 50 800 10 1 4 30 0 0");
    assertThat(t).containsExactly(30, 1000);
    assertThat(new ProcessCpu.Usage(1, 1, 1, t[0], t[1]).hostStealFraction()).isEqualTo(0.03);
    assertThatThrownBy(() -> ProcessCpu.parseHostTicks("cpu0 1 2 3")).isInstanceOf(IllegalArgumentException.class);
  }
}
