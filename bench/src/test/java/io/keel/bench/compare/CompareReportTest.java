package io.keel.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.bench.report.BenchResult;
import io.keel.bench.report.FsyncProbe;
import io.keel.bench.report.LatencySummary;
import io.keel.bench.report.MachineFacts;
import io.keel.bench.report.ProcessCpu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report from known results: ratios, averaging over rounds, files written. */
class CompareReportTest {

  private static BenchResult result(String system, long count, long latencyNanos) {
    Histogram h = new Histogram(1, 3_600_000_000_000L, 3);
    for (int i = 0; i < count; i++) {
      h.recordValue(latencyNanos);
    }
    return BenchResult.of("kv put", system, Map.of(), LatencySummary.of(h, Map.of(), 1_000_000_000L));
  }

  @Test
  void writesRatioTableChartsAndCommands(@TempDir Path dir) throws Exception {
    List<CompareRunner.PointResult> runs = new ArrayList<>();
    for (KvSuite.DataPoint p : KvSuite.points()) {
      runs.add(new CompareRunner.PointResult(p, "keel", 1, result("keel", 500, 2_000_000)));
      runs.add(new CompareRunner.PointResult(p, "etcd", 1, result("etcd", 1000, 1_000_000)));
      runs.add(new CompareRunner.PointResult(p, "keel", 2, result("keel", 700, 2_000_000),
          new ProcessCpu.Usage(1_200_000_000L, 600_000_000L, 1200, 30, 1000)));
      runs.add(new CompareRunner.PointResult(p, "etcd", 2, result("etcd", 1000, 1_000_000),
          new ProcessCpu.Usage(500_000_000L, 250_000_000L, 1000, 100, 1000)));
    }
    CompareRunner.Settings settings = new CompareRunner.Settings(List.of("keel", "etcd"), 1, dir,
        Path.of("k.jar"), List.of(), Path.of("/usr/bin/etcd"), 1000, 2, 2, 1000, 10);
    CompareRunner.Outcome outcome = new CompareRunner.Outcome(runs,
        Map.of("etcd", List.of(List.of("/usr/bin/etcd", "--name", "etcd0"))),
        Map.of("keel", "127.0.0.1:1", "etcd", "127.0.0.1:2"), List.of("bin/keel bench kv put --clients 1"));
    MachineFacts machine = new MachineFacts(2, "cpu", "jdk", "os", new FsyncProbe.Result(10, 1, 2, 1.5, 3));
    Path report = CompareReport.write(dir, settings, outcome, machine, "bin/keel bench compare --suite kv");
    String md = Files.readString(report);
    // keel averages (500+700)/2 = 600 req/s vs etcd 1000 -> 0.60; p99 2 ms vs 1 ms -> 2.00
    assertThat(md).contains("| put-c1 | 1 | 1 | 600.0 | 1000.0 | 0.60 | 2.001 | 1.000 | 2.001 | 1.000 | 2.00 | 0/0 |");
    assertThat(md).contains("| range-s-c256 | 256 | 25 |");
    // CPU/op only from the rounds that measured it: keel 1200 ms / 1200 ops, etcd 500 ms / 1000 ops
    assertThat(md).contains("| put-c1000 | 1.000 | 0.500 | 2.00 | 0.500 | 0.250 | 3 / 10 |");
    // every run on its own, with the host's steal where it was measured
    assertThat(md).contains("| put-c1000 | 1 | keel | 500.0 | 2.001 | 2.001 | 0 | - | - |",
        "| put-c1000 | 2 | keel | 700.0 | 2.001 | 2.001 | 0 | 1.000 | 3 |",
        "| put-c1000 | 2 | etcd | 1000.0 | 1.000 | 1.000 | 0 | 0.500 | 10 |");
    assertThat(md).contains("bin/keel bench compare --suite kv", "/usr/bin/etcd --name etcd0",
        "bin/keel bench kv put --clients 1", "cores (nproc): 2");
    assertThat(dir.resolve("throughput-put.png")).isNotEmptyFile();
    assertThat(dir.resolve("latency-cdf-put-c1000.png")).isNotEmptyFile();
    assertThat(dir.resolve("results.json")).isNotEmptyFile();
    assertThat(md).contains("![throughput-put.png](throughput-put.png)");
  }

  @Test
  void suiteMatchesTheBriefAndSettingsAreBounded() {
    assertThat(KvSuite.points()).extracting(KvSuite.DataPoint::id).containsExactly("put-c1", "put-c16",
        "put-c256", "put-c1000", "range-l-c16", "range-s-c16", "range-l-c256", "range-s-c256");
    assertThat(KvSuite.connsFor(1000)).isEqualTo(100);
    assertThat(CompareReport.ratio(1, 0)).isEqualTo("n/a");
    assertThatThrownBy(() -> new CompareRunner.Settings(List.of("keel"), 2, Path.of("."), Path.of("x"), List.of(),
        Path.of("y"), 1, 1, 1, 1, 0)).hasMessageContaining("--members");
    assertThatThrownBy(() -> new CompareRunner.Settings(List.of("zookeeper"), 1, Path.of("."), Path.of("x"),
        List.of(), Path.of("y"), 1, 1, 1, 1, 0)).hasMessageContaining("systems");
  }
}
