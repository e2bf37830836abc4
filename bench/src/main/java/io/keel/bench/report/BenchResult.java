package io.keel.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Machine-readable result of one benchmark run: what ran (name, parameters, target) and the latency summary
 * in seconds. Written as JSON next to the human-readable text so reports and comparisons can be built from
 * files instead of parsing console output.
 *
 * @param name benchmark name, e.g. "kv put"
 * @param target what was measured, e.g. "etcd" or "keel"
 * @param params the run's parameters (flag name to value)
 * @param count successful operations
 * @param errors failed operations
 * @param totalSeconds wall time of the run
 * @param ratePerSecond successful operations per wall-clock second
 * @param fastestSeconds fastest latency
 * @param slowestSeconds slowest latency
 * @param averageSeconds mean latency
 * @param stddevSeconds standard deviation of the latency
 * @param percentileSeconds percentile label ("99.9") to latency
 * @param histogram etcd-style response time histogram: [upper bound seconds, count]
 * @param errorMessages error message to count
 */
public record BenchResult(
    String name,
    String target,
    Map<String, Object> params,
    long count,
    long errors,
    double totalSeconds,
    double ratePerSecond,
    double fastestSeconds,
    double slowestSeconds,
    double averageSeconds,
    double stddevSeconds,
    Map<String, Double> percentileSeconds,
    List<double[]> histogram,
    Map<String, Long> errorMessages) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Builds the result from a summary; times are converted from nanoseconds to seconds. */
  public static BenchResult of(String name, String target, Map<String, Object> params, LatencySummary s) {
    Map<String, Double> pct = new LinkedHashMap<>();
    s.percentiles().forEach((p, v) -> pct.put(SummaryFormatter.percentLabel(p), v / 1e9));
    List<double[]> hist = s.buckets().stream().map(b -> new double[] {b.upperNanos() / 1e9, b.count()}).toList();
    return new BenchResult(name, target, new LinkedHashMap<>(params), s.count(), s.errorCount(),
        s.wallNanos() / 1e9, s.ratePerSecond(), s.fastestNanos() / 1e9, s.slowestNanos() / 1e9,
        s.meanNanos() / 1e9, s.stddevNanos() / 1e9, pct, hist, s.errors());
  }

  /** Latency at a percentile label such as "50" or "99.9", in seconds; NaN when absent. */
  public double percentile(String label) {
    Double v = percentileSeconds.get(label);
    return v == null ? Double.NaN : v;
  }

  /** JSON text of this result. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise result " + name, e);
    }
  }

  /** Writes this result as JSON to a file (parent directories are created). */
  public void writeJson(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, toJson() + "\n");
  }

  /** Reads a result written by {@link #writeJson}. */
  public static BenchResult readJson(Path file) throws IOException {
    return JSON.readValue(file.toFile(), BenchResult.class);
  }
}
