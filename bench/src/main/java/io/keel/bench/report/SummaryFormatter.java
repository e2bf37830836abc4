package io.keel.bench.report;

import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link LatencySummary} in the layout of etcd's {@code benchmark} tool (Summary, Response time
 * histogram, Latency distribution, Error distribution), so results can be read side by side with etcd's.
 * Times are printed in seconds with four decimals, like etcd.
 */
public final class SummaryFormatter {

  /** Width in characters of the longest bar in the response-time histogram. */
  public static final int BAR_WIDTH = 40;

  private static final char BAR_CHAR = '\u220E';

  private SummaryFormatter() {}

  /** The full etcd-style text block, ending with a newline. */
  public static String format(LatencySummary s) {
    StringBuilder b = new StringBuilder(1024);
    b.append("\nSummary:\n");
    b.append(line("Total", secs(s.wallNanos()) + " secs."));
    b.append(line("Slowest", secs(s.slowestNanos()) + " secs."));
    b.append(line("Fastest", secs(s.fastestNanos()) + " secs."));
    b.append(line("Average", secs(s.meanNanos()) + " secs."));
    b.append(line("Stddev", secs(s.stddevNanos()) + " secs."));
    b.append(line("Requests/sec", String.format(Locale.ROOT, "%4.4f", s.ratePerSecond())));
    if (s.count() > 0) {
      b.append("\nResponse time histogram:\n");
      long max = s.buckets().stream().mapToLong(LatencySummary.Bucket::count).max().orElse(0);
      for (LatencySummary.Bucket bucket : s.buckets()) {
        int barLen = max == 0 ? 0 : (int) (bucket.count() * BAR_WIDTH / max);
        b.append(String.format(Locale.ROOT, "  %4.3f [%d]\t|%s\n",
            bucket.upperNanos() / 1e9, bucket.count(), String.valueOf(BAR_CHAR).repeat(barLen)));
      }
      b.append("\nLatency distribution:\n");
      for (Map.Entry<Double, Long> e : s.percentiles().entrySet()) {
        b.append(String.format(Locale.ROOT, "  %s%% in %s secs.\n", percentLabel(e.getKey()), secs(e.getValue())));
      }
    }
    if (!s.errors().isEmpty()) {
      b.append("\nError distribution:\n");
      s.errors().forEach((msg, n) -> b.append(String.format(Locale.ROOT, "  [%d]\t%s\n", n, msg)));
    }
    return b.toString();
  }

  /** "99.9" for 99.9, "50" for 50.0 — the way etcd labels its percentiles. */
  static String percentLabel(double p) {
    return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
  }

  static String secs(double nanos) {
    return String.format(Locale.ROOT, "%4.4f", nanos / 1e9);
  }

  private static String line(String name, String value) {
    return "  " + name + ":\t" + value + "\n";
  }
}
