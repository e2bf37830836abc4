package io.keel.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  private static Histogram histogram() {
    return new Histogram(1, 3_600_000_000_000L, 3);
  }

  @Test
  void uniformLatenciesGiveExactStatisticsWithinHdrPrecision() {
    Histogram h = histogram();
    for (long ms = 1; ms <= 1000; ms++) {
      h.recordValue(ms * 1_000_000);
    }
    LatencySummary s = LatencySummary.of(h, Map.of(), 2_000_000_000L);
    assertThat(s.count()).isEqualTo(1000);
    assertThat(s.ratePerSecond()).isCloseTo(500.0, within(1e-9));
    assertThat(s.fastestNanos()).isCloseTo(1_000_000L, within(1_000L));
    assertThat(s.slowestNanos()).isCloseTo(1_000_000_000L, within(1_000_000L));
    assertThat(s.meanNanos()).isCloseTo(500.5e6, within(0.5e6));
    // stddev of 1..1000 ms (population) = sqrt((n^2-1)/12) ms
    assertThat(s.stddevNanos()).isCloseTo(Math.sqrt((1000.0 * 1000 - 1) / 12) * 1e6, within(0.5e6));
    for (double p : LatencySummary.PERCENTILES) {
      double expected = p / 100 * 1000e6;
      assertThat((double) s.percentiles().get(p)).as("p%s", p).isCloseTo(expected, within(expected * 0.002 + 1e6));
    }
  }

  @Test
  void bucketsAreElevenMarksFromFastestToSlowestAndKeepEverySample() {
    Random rnd = new Random(7);
    for (int seed = 0; seed < 200; seed++) {
      Histogram h = histogram();
      int n = 1 + rnd.nextInt(5000);
      for (int i = 0; i < n; i++) {
        h.recordValue(1 + (long) Math.abs(rnd.nextGaussian() * 1e7) + rnd.nextInt(1000));
      }
      LatencySummary s = LatencySummary.of(h, Map.of(), 1);
      List<LatencySummary.Bucket> b = s.buckets();
      assertThat(b).hasSize(LatencySummary.BUCKET_INTERVALS + 1);
      assertThat(b.get(0).upperNanos()).isEqualTo(s.fastestNanos());
      assertThat(b.get(b.size() - 1).upperNanos()).isEqualTo(s.slowestNanos());
      assertThat(b.get(0).count()).as("the fastest sample lands in the first mark").isGreaterThanOrEqualTo(1);
      assertThat(b.stream().mapToLong(LatencySummary.Bucket::count).sum()).isEqualTo(n);
      for (int i = 1; i < b.size(); i++) {
        assertThat(b.get(i).upperNanos()).isGreaterThanOrEqualTo(b.get(i - 1).upperNanos());
      }
      long prev = 0;
      for (long v : s.percentiles().values()) {
        assertThat(v).isGreaterThanOrEqualTo(prev).isLessThanOrEqualTo(s.slowestNanos());
        prev = v;
      }
    }
  }

  @Test
  void singleValueAndEmptyHistogramAreFine() {
    Histogram one = histogram();
    one.recordValue(5_000_000);
    LatencySummary s = LatencySummary.of(one, Map.of(), 1_000_000_000L);
    assertThat(s.count()).isEqualTo(1);
    assertThat(s.buckets().stream().mapToLong(LatencySummary.Bucket::count).sum()).isEqualTo(1);
    assertThat(s.stddevNanos()).isZero();

    LatencySummary empty = LatencySummary.of(histogram(), Map.of("boom", 3L), 0);
    assertThat(empty.count()).isZero();
    assertThat(empty.errorCount()).isEqualTo(3);
    assertThat(empty.ratePerSecond()).isZero();
    assertThat(empty.buckets()).isEmpty();
  }

  @Test
  void rejectsInconsistentInput() {
    assertThatThrownBy(() -> new LatencySummary(-1, 0, 0, 0, 0, 0, 0, Map.of(), List.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LatencySummary(1, 0, 1, 10, 5, 0, 0, Map.of(), List.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
