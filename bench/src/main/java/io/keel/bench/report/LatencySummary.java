package io.keel.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The numbers etcd's benchmark prints (total time, slowest, fastest, average, stddev, rate, a 10-bucket
 * response-time histogram and a fixed percentile ladder), computed from an HdrHistogram of latencies in
 * nanoseconds. Independent of what was measured, so every Keel benchmark (KV, scheduler, ...) can reuse it.
 *
 * @param count successful samples recorded in the histogram
 * @param errorCount failed operations (not in the histogram)
 * @param wallNanos wall-clock duration of the whole run
 * @param fastestNanos smallest recorded latency (0 when count is 0)
 * @param slowestNanos largest recorded latency (0 when count is 0)
 * @param meanNanos mean latency
 * @param stddevNanos standard deviation of the latency
 * @param percentiles percentile (e.g. 99.9) to latency in nanoseconds, ascending
 * @param buckets etcd-style histogram: 11 marks from fastest to slowest, each with the count in (previous, mark]
 * @param errors error message to count
 */
public record LatencySummary(
    long count,
    long errorCount,
    long wallNanos,
    long fastestNanos,
    long slowestNanos,
    double meanNanos,
    double stddevNanos,
    Map<Double, Long> percentiles,
    List<Bucket> buckets,
    Map<String, Long> errors) {

  /** The percentile ladder etcd's benchmark prints. */
  public static final double[] PERCENTILES = {10, 25, 50, 75, 90, 95, 99, 99.9};

  /** Number of equal-width intervals of the response-time histogram (etcd uses 10, i.e. 11 marks). */
  public static final int BUCKET_INTERVALS = 10;

  /** One histogram mark: latencies in (previous mark, upperNanos] fall here. */
  public record Bucket(long upperNanos, long count) {}

  public LatencySummary {
    if (count < 0 || errorCount < 0 || wallNanos < 0) {
      throw new IllegalArgumentException("negative count/errorCount/wallNanos");
    }
    if (count > 0 && fastestNanos > slowestNanos) {
      throw new IllegalArgumentException("fastest > slowest");
    }
    percentiles = Collections.unmodifiableMap(new TreeMap<>(percentiles));
    buckets = List.copyOf(buckets);
    errors = Collections.unmodifiableMap(new TreeMap<>(errors));
  }

  /**
   * Summarises a latency histogram.
   *
   * @param latencyNanos recorded latencies (nanoseconds); not modified
   * @param errors failed operations by message; may be empty
   * @param wallNanos wall-clock duration of the run, used for the rate
   */
  public static LatencySummary of(Histogram latencyNanos, Map<String, Long> errors, long wallNanos) {
    Objects.requireNonNull(latencyNanos, "latencyNanos");
    long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
    long count = latencyNanos.getTotalCount();
    if (count == 0) {
      return new LatencySummary(0, errorCount, wallNanos, 0, 0, 0, 0, Map.of(), List.of(), errors);
    }
    long fastest = latencyNanos.getMinValue();
    long slowest = latencyNanos.getMaxValue();
    Map<Double, Long> pct = new TreeMap<>();
    for (double p : PERCENTILES) {
      pct.put(p, Math.min(slowest, latencyNanos.getValueAtPercentile(p)));
    }
    return new LatencySummary(count, errorCount, wallNanos, fastest, slowest,
        latencyNanos.getMean(), latencyNanos.getStdDeviation(), pct, buckets(latencyNanos, fastest, slowest),
        errors);
  }

  /** Throughput of successful operations per second of wall time (0 if no time passed). */
  public double ratePerSecond() {
    return wallNanos == 0 ? 0 : count * 1e9 / wallNanos;
  }

  static List<Bucket> buckets(Histogram h, long fastest, long slowest) {
    long[] marks = new long[BUCKET_INTERVALS + 1];
    double width = (slowest - fastest) / (double) BUCKET_INTERVALS;
    for (int i = 0; i < BUCKET_INTERVALS; i++) {
      marks[i] = fastest + Math.round(width * i);
    }
    marks[BUCKET_INTERVALS] = slowest;
    long[] counts = new long[marks.length];
    int bi = 0;
    for (HistogramIterationValue v : h.recordedValues()) {
      long value = Math.max(fastest, Math.min(slowest, h.lowestEquivalentValue(v.getValueIteratedTo())));
      while (value > marks[bi] && bi < marks.length - 1) {
        bi++;
      }
      counts[bi] += v.getCountAtValueIteratedTo();
    }
    List<Bucket> out = new ArrayList<>(marks.length);
    long sum = 0;
    for (int i = 0; i < marks.length; i++) {
      out.add(new Bucket(marks[i], counts[i]));
      sum += counts[i];
    }
    if (sum != h.getTotalCount()) {
      throw new IllegalStateException("histogram buckets lost samples: " + sum + " != " + h.getTotalCount());
    }
    return out;
  }
}
