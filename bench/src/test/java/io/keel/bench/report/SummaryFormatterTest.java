package io.keel.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SummaryFormatterTest {

  private static LatencySummary sample() {
    Map<Double, Long> pct = new TreeMap<>();
    for (double p : LatencySummary.PERCENTILES) {
      pct.put(p, (long) (p * 100_000)); // 99.9 -> 9.99 ms
    }
    List<LatencySummary.Bucket> buckets = List.of(
        new LatencySummary.Bucket(1_000_000, 1), new LatencySummary.Bucket(2_000_000, 80),
        new LatencySummary.Bucket(3_000_000, 20), new LatencySummary.Bucket(12_000_000, 0));
    return new LatencySummary(101, 2, 1_000_000_000L, 1_000_000, 12_000_000, 2_500_000, 500_000, pct, buckets,
        Map.of("etcdserver: too many requests", 2L));
  }

  @Test
  void printsEtcdSummaryLayout() {
    String text = SummaryFormatter.format(sample());
    assertThat(text).contains(
        "Summary:\n",
        "  Total:\t1.0000 secs.\n",
        "  Slowest:\t0.0120 secs.\n",
        "  Fastest:\t0.0010 secs.\n",
        "  Average:\t0.0025 secs.\n",
        "  Stddev:\t0.0005 secs.\n",
        "  Requests/sec:\t101.0000\n",
        "Response time histogram:\n",
        "Latency distribution:\n",
        "  10% in 0.0010 secs.\n",
        "  50% in 0.0050 secs.\n",
        "  99.9% in 0.0100 secs.\n",
        "Error distribution:\n",
        "  [2]\tetcdserver: too many requests\n");
    assertThat(text.indexOf("Summary:")).isLessThan(text.indexOf("Response time histogram:"));
    assertThat(text.indexOf("Response time histogram:")).isLessThan(text.indexOf("Latency distribution:"));
  }

  @Test
  void barsAreProportionalToTheLargestBucket() {
    String text = SummaryFormatter.format(sample());
    String bar = "\u220E";
    assertThat(text).contains("  0.002 [80]\t|" + bar.repeat(SummaryFormatter.BAR_WIDTH) + "\n");
    assertThat(text).contains("  0.003 [20]\t|" + bar.repeat(10) + "\n");
    assertThat(text).contains("  0.001 [1]\t|\n");
    assertThat(text).contains("  0.012 [0]\t|\n");
  }

  @Test
  void percentLabelsMatchEtcd() {
    assertThat(SummaryFormatter.percentLabel(50)).isEqualTo("50");
    assertThat(SummaryFormatter.percentLabel(99.9)).isEqualTo("99.9");
  }

  @Test
  void emptyRunPrintsOnlyTheSummary() {
    LatencySummary empty = new LatencySummary(0, 0, 0, 0, 0, 0, 0, Map.of(), List.of(), Map.of());
    assertThat(SummaryFormatter.format(empty)).contains("Requests/sec:\t0.0000").doesNotContain("histogram");
  }

  @Test
  void progressBarRendersFraction() {
    assertThat(ProgressBar.render(50, 100, 3_000_000_000L)).isEqualTo(
        "\r 50 / 100 [" + "=".repeat(20) + " ".repeat(20) + "]  50.0% 3s");
    assertThat(ProgressBar.render(200, 100, 0)).contains("100 / 100").contains("100.0%");
  }

  @Test
  void jsonResultRoundTrips(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    BenchResult r = BenchResult.of("kv put", "etcd", Map.of("clients", 16), sample());
    java.nio.file.Path f = dir.resolve("r.json");
    r.writeJson(f);
    BenchResult back = BenchResult.readJson(f);
    assertThat(back.name()).isEqualTo("kv put");
    assertThat(back.count()).isEqualTo(101);
    assertThat(back.errors()).isEqualTo(2);
    assertThat(back.percentile("99.9")).isEqualTo(0.00999);
    assertThat(back.histogram()).hasSize(4);
    assertThat(back.ratePerSecond()).isEqualTo(101.0);
  }
}
