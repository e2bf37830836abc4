package io.keel.chaos.workload;

import io.keel.chaos.checker.Verdict;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One workload's section of a run's report: its verdict, counts, and its own text and HTML detail.
 *
 * @param workload workload name
 * @param verdict VALID, INVALID (anomalies found) or UNKNOWN (the checker could not decide)
 * @param operations operations attempted
 * @param ok operations acknowledged
 * @param unknown operations with unknown outcome
 * @param checked operations the checker used
 * @param anomalies anomalies found
 * @param checkerMs checker wall time
 * @param facts extra summary lines, in order
 * @param text the section as text (the detail of each anomaly)
 * @param html the section as an HTML fragment
 */
public record WorkloadReport(String workload, Verdict verdict, long operations, long ok, long unknown, long checked,
    long anomalies, long checkerMs, Map<String, String> facts, String text, String html) {
  public WorkloadReport {
    facts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(facts));
  }

  /** 0 valid, 1 anomaly, 2 unknown: the command's exit code for a verdict. */
  public static int exitCode(Verdict v) {
    return v == Verdict.VALID ? 0 : v == Verdict.INVALID ? 1 : 2;
  }
}
