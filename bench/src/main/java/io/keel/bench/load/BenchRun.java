package io.keel.bench.load;

import io.keel.bench.report.BenchResult;
import io.keel.bench.report.LatencySummary;
import io.keel.bench.report.ProgressBar;
import io.keel.bench.report.SummaryFormatter;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs one load with a progress bar, prints etcd's summary layout and returns the machine-readable result.
 * The glue every load command (and the compare suite) shares.
 */
public final class BenchRun {

  /** How long to wait for in-flight requests after the time limit. */
  public static final long DRAIN_MILLIS = 15_000;

  private BenchRun() {}

  /**
   * @param name benchmark name, e.g. "kv put"
   * @param target label of the system under test, e.g. "etcd"
   * @param params parameters recorded in the result
   * @param out where the summary is printed (null: print nothing)
   * @param progress draw a live progress bar on {@code out}
   */
  public static BenchResult run(String name, String target, Map<String, Object> params, LoadConfig config,
      AsyncOperation op, PrintStream out, boolean progress) throws InterruptedException {
    LoadOutcome outcome;
    try (ProgressBar bar = new ProgressBar(config.total(), out == null ? System.out : out, progress && out != null)) {
      outcome = new LoadRunner(config, op, bar::advance, DRAIN_MILLIS).run();
    }
    LatencySummary summary = outcome.summary();
    Map<String, Object> p = new LinkedHashMap<>(params);
    p.put("clients", config.clients());
    p.put("total", config.total());
    p.put("max-seconds", config.maxSeconds());
    p.put("rate", config.ratePerSecond());
    p.put("max-outstanding", config.maxOutstandingPerClient());
    p.put("hit-time-limit", outcome.hitTimeLimit());
    BenchResult result = BenchResult.of(name, target, p, summary);
    if (out != null) {
      if (outcome.hitTimeLimit()) {
        out.printf("stopped by --max-seconds=%d after %d of %d requests%n", config.maxSeconds(), outcome.issued(),
            config.total());
      }
      out.print(SummaryFormatter.format(summary));
      out.flush();
    }
    return result;
  }
}
